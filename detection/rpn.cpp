#include "detection/rpn.h"

#include <algorithm>

#include "autograd/grad_mode.h"
#include "layers/init.h"
#include "layers/losses.h"
#include "ops/checks.h"
#include "ops/ops.h"

namespace rcnn {

RpnHead::RpnHead(int64_t in_channels, int64_t mid_channels, int64_t anchors, Generator& gen, int64_t logits_per_anchor)
    : conv(std::make_shared<nn::Conv2d>(in_channels, mid_channels, 3, Conv2dOptions{1, 1, 1}, true, gen)),
      anchors(anchors),
      logits_per_anchor(logits_per_anchor) {
  check(logits_per_anchor == 1 || logits_per_anchor == 2, "RpnHead: ", logits_per_anchor,
        " logits per anchor (1: sigmoid, 2: softmax)");
  if (logits_per_anchor == 2) {
    register_module("conv", conv);
  } else {  // torchvision's conv = Sequential(Conv2dNormActivation(conv, ReLU)): conv.0.0
    auto block = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<Layer>>{conv});
    register_module("conv", std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<Layer>>{block}));
  }
  cls_logits = register_module("cls_logits", std::make_shared<nn::Conv2d>(mid_channels, logits_per_anchor * anchors, 1,
                                                                          Conv2dOptions{}, true, gen));
  bbox_pred = register_module("bbox_pred", std::make_shared<nn::Conv2d>(mid_channels, 4 * anchors, 1, Conv2dOptions{},
                                                                        true, gen));
  for (auto* layer : {conv.get(), cls_logits.get(), bbox_pred.get()}) normal_(layer->weight, 0.01, gen);
}

namespace {

// (B, A k, H, W) -> (B, H, W, A, k) -> (B, H W A, k): channel a k + j is anchor a's j-th number.
Tensor per_anchor(const Tensor& t, int64_t anchors, int64_t k) {
  const int64_t B = t.size(0), H = t.size(2), W = t.size(3);
  return reshape(permute(reshape(t, {B, anchors, k, H, W}), {0, 3, 4, 1, 2}), {B, H * W * anchors, k});
}

}  // namespace

RpnHead::Outputs RpnHead::predict(const Tensor& features) { return predict(std::vector<Tensor>{features}); }

RpnHead::Outputs RpnHead::predict(const std::vector<Tensor>& maps) {
  check(!maps.empty(), "RpnHead: no feature maps");
  std::vector<Tensor> logits, deltas;
  for (const Tensor& features : maps) {
    check(features.defined() && features.dim() == 4, "RpnHead: features must be (B, C, H, W), got ", describe(features));
    const Tensor h = relu(conv->forward(features));
    logits.push_back(per_anchor(cls_logits->forward(h), anchors, logits_per_anchor));
    deltas.push_back(per_anchor(bbox_pred->forward(h), anchors, 4));
  }
  auto rows = [](const std::vector<Tensor>& levels, int64_t k) {
    return reshape(levels.size() == 1 ? levels[0] : concat(levels, 1), {-1, k});
  };
  Tensor objectness = rows(logits, logits_per_anchor);
  if (logits_per_anchor == 1) objectness = concat({zeros(objectness.shape(), objectness.options()), objectness}, 1);
  return {objectness, rows(deltas, 4)};
}

Tensor object_logits(const RpnHead::Outputs& rpn) {
  return reshape(narrow(rpn.objectness, 1, 1, 1) - narrow(rpn.objectness, 1, 0, 1), {-1});
}

RpnTargets rpn_targets(const Tensor& anchors, const Tensor& truth, int64_t image_h, int64_t image_w,
                       const RpnTargetOptions& o, Generator& gen) {
  check_boxes("rpn_targets", anchors);
  check_boxes("rpn_targets", truth);
  NoGradGuard no_grad;
  const int64_t A = anchors.size(0);
  // Anchors crossing the border are left out (the paper: they would give large, hard-to-correct errors).
  const Tensor inside = boxes_inside(anchors, image_h, image_w, o.allowed_border);
  // An outside anchor gets IoU -1: never anyone's best, then ignored.
  const Tensor iou = where(unsqueeze(inside, 0), box_iou(truth, anchors), scalar_like(anchors, -1));
  const Tensor ignored = full({}, kIgnored, {kInt64, anchors.device()});
  const Tensor matches = where(inside, match(iou, o.matcher), ignored);
  const BalancedSample s = sample_balanced(matches, o.batch_size, o.positive_fraction, gen);

  RpnTargets t;
  const TensorOptions int64{kInt64, anchors.device()};
  const Tensor positive = index_counts(A, s.positive, int64), negative = index_counts(A, s.negative, int64);
  t.labels = positive * 2 + negative - 1;  // 1 object, 0 background, -1 (kIgnoreLabel) not sampled
  t.box_weights = unsqueeze(positive.to(anchors.dtype()), 1);
  t.box_targets = zeros({A, 4}, anchors.options());
  if (truth.size(0) > 0 && A > 0) {
    const Tensor matched = index_select_in_range(truth, 0, clamp(matches, 0, static_cast<double>(truth.size(0) - 1)));
    t.box_targets = encode_boxes(anchors, matched, o.coding) * t.box_weights;
  }
  t.sampled = s.positive.numel() + s.negative.numel();
  return t;
}

RpnLosses rpn_losses(const RpnHead::Outputs& out, const RpnTargets& t, double sigma) {
  check(out.objectness.size(0) == t.labels.size(0), "rpn_losses: ", out.objectness.size(0), " anchors scored, ",
        t.labels.size(0), " targets");
  return {cross_entropy(out.objectness, t.labels),
          smooth_l1_loss(out.deltas, t.box_targets, sigma, t.box_weights, static_cast<double>(std::max<int64_t>(t.sampled, 1)))};
}

}  // namespace rcnn
