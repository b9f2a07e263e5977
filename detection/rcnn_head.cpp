#include "detection/rcnn_head.h"

#include <algorithm>

#include "autograd/grad_mode.h"
#include "layers/init.h"
#include "layers/losses.h"
#include "ops/checks.h"
#include "ops/ops.h"

namespace rcnn {

BoxHead::BoxHead(int64_t in_features, int64_t hidden, double dropout, Generator& gen)
    : fc6(register_module("fc6", std::make_shared<nn::Linear>(in_features, hidden, true, gen))),
      fc7(register_module("fc7", std::make_shared<nn::Linear>(hidden, hidden, true, gen))),
      drop(std::make_shared<nn::Dropout>(dropout, gen)) {
  register_module("dropout", drop);  // no parameters; registered so train()/eval() reach it
}

Tensor BoxHead::forward(const Tensor& x) {
  return drop->forward(relu(fc7->forward(drop->forward(relu(fc6->forward(flatten(x, 1)))))));
}

BoxPredictor::BoxPredictor(int64_t hidden, int64_t classes, Generator& gen, bool background_deltas)
    : cls_score(register_module("cls_score", std::make_shared<nn::Linear>(hidden, classes + 1, true, gen))),
      bbox_pred(register_module("bbox_pred", std::make_shared<nn::Linear>(hidden, 4 * (classes + background_deltas),
                                                                          true, gen))),
      background_deltas(background_deltas) {
  normal_(cls_score->weight, 0.01, gen);
  normal_(bbox_pred->weight, 0.001, gen);
}

RcnnHead::RcnnHead(int64_t pooled_features, int64_t hidden, int64_t classes, double dropout, Generator& gen,
                   bool background_deltas)
    : RcnnHead(std::make_shared<BoxHead>(pooled_features, hidden, dropout, gen), hidden, classes, gen, background_deltas) {}

RcnnHead::RcnnHead(std::shared_ptr<Layer> head, int64_t hidden, int64_t classes, Generator& gen, bool background_deltas)
    : box_head(register_module("box_head", std::move(head))),
      box_predictor(register_module("box_predictor", std::make_shared<BoxPredictor>(hidden, classes, gen, background_deltas))),
      classes(classes) {
  check(classes >= 1, "RcnnHead: ", classes, " classes");
}

RcnnHead::Outputs RcnnHead::predict(const Tensor& pooled) {
  const Tensor h = box_head->forward(pooled);
  const Tensor deltas = box_predictor->bbox_pred->forward(h);
  return {box_predictor->cls_score->forward(h),
          box_predictor->background_deltas ? narrow(deltas, 1, 4, 4 * classes) : deltas};
}

RcnnSample rcnn_targets(const Tensor& proposals, const Tensor& truth, const Tensor& truth_classes,
                        const RcnnTargetOptions& o, Generator& gen) {
  check_boxes("rcnn_targets", proposals);
  check_boxes("rcnn_targets", truth);
  check_index("rcnn_targets", truth_classes);
  check(truth_classes.dim() == 1 && truth_classes.size(0) == truth.size(0), "rcnn_targets: classes ",
        describe(truth_classes), " must be (G) for ", describe(truth));
  check(o.bg_iou_lo <= o.fg_iou, "rcnn_targets: bg_iou_lo ", o.bg_iou_lo, " is above fg_iou ", o.fg_iou);
  NoGradGuard no_grad;
  const Tensor rois = concat({proposals.detach(), truth.detach()}, 0);
  const Tensor iou = box_iou(truth, rois);
  Tensor matches = match(iou, {o.fg_iou, o.fg_iou, false});
  if (o.bg_iou_lo > 0 && truth.size(0) > 0) {  // too little overlap to be a useful background: left out
    const Tensor best = max(iou, {0});
    matches = where(lt(best, scalar_like(best, o.bg_iou_lo)), full({}, kIgnored, {kInt64, rois.device()}), matches);
  }
  const BalancedSample s = sample_balanced(matches, o.batch_size, o.positive_fraction, gen);
  const Tensor chosen = concat({s.positive, s.negative}, 0);
  RcnnSample out;
  out.rois = index_select_in_range(rois, 0, chosen);
  const int64_t n_pos = s.positive.numel(), n_neg = s.negative.numel();
  const Tensor truth_of_positive = index_select_in_range(matches, 0, s.positive);
  out.labels = concat({index_select_in_range(truth_classes, 0, truth_of_positive) + 1,
                       zeros({n_neg}, {kInt64, rois.device()})},
                      0);
  Tensor targets = zeros({n_pos + n_neg, 4}, rois.options());
  if (n_pos > 0) {
    const Tensor coded = encode_boxes(narrow(out.rois, 0, 0, n_pos), index_select_in_range(truth, 0, truth_of_positive), o.coding);
    targets = concat({coded, zeros({n_neg, 4}, rois.options())}, 0);
  }
  out.box_targets = targets;
  return out;
}

RcnnLosses rcnn_losses(const RcnnHead::Outputs& out, const RcnnSample& s, double sigma) {
  const int64_t S = s.labels.size(0);
  check(out.class_logits.size(0) == S, "rcnn_losses: ", out.class_logits.size(0), " RoIs scored, ", S, " targets");
  const int64_t N = out.deltas.size(1) / 4;
  // Only the true class's 4 deltas count: gather them from (S, N, 4) (background rows gather class 1's,
  // weighted 0).
  const Tensor object = gt(s.labels, scalar_like(s.labels, 0));
  const Tensor column = clamp(s.labels - 1, 0, static_cast<double>(N - 1));
  const Tensor index = expand(reshape(column, {S, 1, 1}), {S, 1, 4});
  const Tensor picked = reshape(gather_in_range(reshape(out.deltas, {S, N, 4}), 1, index), {S, 4});
  const Tensor weights = unsqueeze(object.to(out.deltas.dtype()), 1);
  return {cross_entropy(out.class_logits, s.labels),
          smooth_l1_loss(picked, s.box_targets, sigma, weights, static_cast<double>(std::max<int64_t>(S, 1)))};
}

}  // namespace rcnn
