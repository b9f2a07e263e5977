#include "detection/proposals.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "autograd/grad_mode.h"
#include "detection/nms.h"
#include "ops/checks.h"
#include "ops/ops.h"

namespace rcnn {

Proposals propose(const Tensor& anchors, const Tensor& objectness, const Tensor& deltas, int64_t image_h,
                  int64_t image_w, const ProposalOptions& o, const BoxCoding& coding) {
  check(objectness.defined() && objectness.dim() == 1 && objectness.size(0) == anchors.size(0) &&
            deltas.shape() == anchors.shape(),
        "propose: anchors ", describe(anchors), ", objectness ", describe(objectness), " and deltas ",
        describe(deltas), " must be (A, 4), (A) and (A, 4)");
  check(o.pre_nms_top_n > 0 && o.post_nms_top_n > 0 && o.min_size >= 0, "propose: pre_nms_top_n ",
        o.pre_nms_top_n, ", post_nms_top_n ", o.post_nms_top_n, " and min_size ", o.min_size,
        " must be positive");
  NoGradGuard no_grad;
  // NaN or infinite where an input is. Where values are read anyway (the CPU; a GPU outside the
  // detector's steps) it is read first, before the box ops check their boxes; inside them, on a GPU, it
  // rides along with the count below (NaN boxes stop there, before they go any further).
  const Tensor input_sum = sum(objectness.detach()) + sum(deltas.detach());
  auto check_finite = [](double s) {
    if (!std::isfinite(s)) throw NotFinite("propose: the RPN's scores or box deltas are not finite");
  };
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

}  // namespace rcnn
