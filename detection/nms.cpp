#include "detection/nms.h"

#include "autograd/grad_mode.h"
#include "detection/boxes.h"
#include "detection/kernels/kernels.h"
#include "ops/checks.h"
#include "ops/ops.h"

namespace rcnn {

namespace {

// The kernel's greedy pass over boxes already in decreasing score (checked by the caller): int64 (N)
// keep flags.
Tensor keep_flags(const Tensor& sorted, double iou_threshold) {
  check(iou_threshold >= 0 && iou_threshold <= 1, "nms: iou_threshold ", iou_threshold, " is not in [0, 1]");
  Tensor keep = Tensor::empty({sorted.size(0)}, {kInt64, sorted.device()});
  if (sorted.size(0) > 0) RCNN_KERNEL(sorted.device(), nms_keep, sorted, iou_threshold, keep);
  return keep;
}

}  // namespace

Tensor nms(const Tensor& boxes, const Tensor& scores, double iou_threshold) {
  check_boxes("nms", boxes);
  check_same_kind("nms", boxes, scores);
  check(scores.dim() == 1 && scores.size(0) == boxes.size(0), "nms: scores ", describe(scores), " must be (N) for ",
        describe(boxes));
  NoGradGuard no_grad;  // indices: nothing to differentiate
  const Tensor order = sort(scores.detach(), 0, /*descending=*/true).indices;
  return index_select_in_range(order, 0, nonzero(keep_flags(index_select_in_range(boxes.detach(), 0, order), iou_threshold)));
}

Tensor nms_sorted(const Tensor& boxes, double iou_threshold) {
  check_boxes("nms_sorted", boxes);
  return keep_flags(boxes, iou_threshold);
}

Tensor batched_nms(const Tensor& boxes, const Tensor& scores, const Tensor& labels, double iou_threshold) {
  check_boxes("batched_nms", boxes);
  check_index("batched_nms", labels);
  check(labels.dim() == 1 && labels.size(0) == boxes.size(0) && labels.device() == boxes.device(),
        "batched_nms: labels ", describe(labels), " must be (N) on the device of ", describe(boxes));
  if (boxes.size(0) == 0) return nms(boxes, scores, iou_threshold);
  NoGradGuard no_grad;
  const Tensor b = boxes.detach();
  const Tensor offsets = labels.to(b.dtype()) * (max(b) + 1.0);
  return nms(b + unsqueeze(offsets, 1), scores, iou_threshold);
}

}  // namespace rcnn
