#include "detection/proposals.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "autograd/grad_mode.h"
#include "detection/nms.h"
#include "ops/checks.h"
#include "ops/ops.h"

namespace rcnn {

namespace {

void check_inputs(const Tensor& anchors, const Tensor& objectness, const Tensor& deltas, const ProposalOptions& o) {
  check(objectness.defined() && objectness.dim() == 1 && objectness.size(0) == anchors.size(0) &&
            deltas.shape() == anchors.shape(),
        "propose: anchors ", describe(anchors), ", objectness ", describe(objectness), " and deltas ",
        describe(deltas), " must be (A, 4), (A) and (A, 4)");
  check(o.pre_nms_top_n > 0 && o.post_nms_top_n > 0 && o.min_size >= 0, "propose: pre_nms_top_n ",
        o.pre_nms_top_n, ", post_nms_top_n ", o.post_nms_top_n, " and min_size ", o.min_size,
        " must be positive");
}

void check_finite(double sum) {
  if (!std::isfinite(sum)) throw NotFinite("propose: the RPN's scores or box deltas are not finite");
}

}  // namespace

Proposals propose(const Tensor& anchors, const Tensor& objectness, const Tensor& deltas, int64_t image_h,
                  int64_t image_w, const ProposalOptions& o, const BoxCoding& coding) {
  check_inputs(anchors, objectness, deltas, o);
  NoGradGuard no_grad;
  // NaN or infinite where an input is. Where values are read anyway (the CPU; a GPU outside the
  // detector's steps) it is read first, before the box ops check their boxes; inside them, on a GPU, it
  // rides along with the count below (NaN boxes stop there, before they go any further).
  const Tensor input_sum = sum(objectness.detach()) + sum(deltas.detach());
  if (values_checked(objectness)) check_finite(input_sum.item());
  const Tensor boxes = clip_boxes(decode_boxes(anchors.detach(), deltas.detach(), coding), image_h, image_w);
  // Small boxes are not cut out here, which would need their number on the host (the host waiting for
  // the GPU): they score -inf, so top-k ranks them after every other box, and they are left out of the
  // kept list below. The same boxes survive as if they had been removed first, as long as no score is
  // -inf itself (the inputs are checked finite).
  const Tensor big_enough = boxes_at_least(boxes, o.min_size);
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor scores = where(big_enough, objectness.detach(), scalar_like(objectness, -inf));
  const ValuesIndices top = topk(scores, std::min(o.pre_nms_top_n, scores.size(0)));  // stable: ties keep order
  const Tensor top_boxes = index_select_in_range(boxes, 0, top.indices);
  const Tensor kept = nms_sorted(top_boxes, o.nms_threshold) * index_select_in_range(big_enough, 0, top.indices).to(kInt64);
  // The one read (on a GPU, the one wait): how many proposals there are, and the inputs' sum.
  const std::vector<double> read = stack({sum(kept).to(kFloat64), input_sum.to(kFloat64)}, 0).cpu().to_vector<double>();
  check_finite(read[1]);
  const Tensor keep = nonzero(kept, static_cast<int64_t>(read[0]));
  const Tensor best = narrow(keep, 0, 0, std::min(o.post_nms_top_n, keep.size(0)));
  return {index_select_in_range(top_boxes, 0, best), index_select_in_range(top.values, 0, best)};
}

Proposals propose_per_level(const Tensor& anchors, const Tensor& objectness, const Tensor& deltas,
                            const std::vector<int64_t>& per_level, int64_t image_h, int64_t image_w,
                            const ProposalOptions& o, const BoxCoding& coding) {
  check_inputs(anchors, objectness, deltas, o);
  int64_t total = 0;
  for (int64_t n : per_level) total += n;
  check(total == anchors.size(0), "propose_per_level: levels of ", total, " anchors for ", anchors.size(0));
  NoGradGuard no_grad;
  check_finite((sum(objectness.detach()) + sum(deltas.detach())).item());
  std::vector<Tensor> chosen;
  std::vector<int64_t> chosen_per_level;
  int64_t start = 0;
  for (int64_t n : per_level) {
    const int64_t k = std::min(o.pre_nms_top_n, n);
    chosen.push_back(topk(narrow(objectness, 0, start, n).detach(), k).indices + static_cast<double>(start));
    chosen_per_level.push_back(k);
    start += n;
  }
  const Tensor index = concat(chosen, 0);
  const Tensor boxes = clip_boxes(decode_boxes(index_select_in_range(anchors.detach(), 0, index),
                                               index_select_in_range(deltas.detach(), 0, index), coding),
                                  image_h, image_w);
  const Tensor scores = index_select_in_range(objectness.detach(), 0, index);
  const Tensor big_enough = boxes_at_least(boxes, o.min_size);
  // NMS level by level (each level's boxes are in decreasing score, as top-k left them), then one
  // stable ranking of what every level kept: torchvision's batched_nms, one level at a time.
  std::vector<Tensor> kept;
  start = 0;
  for (int64_t k : chosen_per_level) {
    const Tensor candidates = nonzero(narrow(big_enough, 0, start, k)) + static_cast<double>(start);
    const Tensor level_kept = nonzero(nms_sorted(index_select_in_range(boxes, 0, candidates), o.nms_threshold));
    kept.push_back(index_select_in_range(candidates, 0, level_kept));
    start += k;
  }
  const Tensor keep = concat(kept, 0);
  const ValuesIndices ranked = topk(index_select_in_range(scores, 0, keep), keep.size(0));
  const Tensor best = index_select_in_range(keep, 0, narrow(ranked.indices, 0, 0, std::min(o.post_nms_top_n, keep.size(0))));
  return {index_select_in_range(boxes, 0, best), index_select_in_range(scores, 0, best)};
}

}  // namespace rcnn
