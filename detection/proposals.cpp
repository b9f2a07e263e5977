#include "detection/proposals.h"

#include <algorithm>

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
  Tensor boxes = clip_boxes(decode_boxes(anchors.detach(), deltas.detach(), coding), image_h, image_w);
  Tensor scores = objectness.detach();
  const Tensor big_enough = remove_small_boxes(boxes, o.min_size);
  boxes = index_select_in_range(boxes, 0, big_enough);
  scores = index_select_in_range(scores, 0, big_enough);
  // Indices below come from our own kernels (nonzero, topk, nms): no range checks, no host copies.
  const ValuesIndices top = topk(scores, std::min(o.pre_nms_top_n, scores.size(0)));  // stable: ties keep order
  boxes = index_select_in_range(boxes, 0, top.indices);
  const Tensor keep = nms(boxes, top.values, o.nms_threshold);
  const Tensor best = narrow(keep, 0, 0, std::min(o.post_nms_top_n, keep.size(0)));
  return {index_select_in_range(boxes, 0, best), index_select_in_range(top.values, 0, best)};
}

}  // namespace rcnn
