#pragma once
// Box arithmetic. Boxes are float (N, 4) tensors (x1, y1, x2, y2) in continuous pixels (a box over
// pixel columns 0..9 spans x1 = 0 to x2 = 10; datasets/annotation.h), on either device.
#include <array>
#include <cmath>

#include "core/tensor.h"

namespace rcnn {

// An error naming `op` unless boxes is a floating (N, 4) tensor of finite boxes with x1 <= x2 and
// y1 <= y2 (a NaN reaching the detector must stop it, not be sorted somewhere); the values are not read
// on a GPU where a TrustedGpuValues lives (ops/checks.h).
void check_boxes(const char* op, const Tensor& boxes);

Tensor box_area(const Tensor& boxes);  // (N): (x2 - x1)(y2 - y1)
// (N, 4), (M, 4) -> (N, M): intersection over union of every pair (0 where both areas are 0: 0/0
// is defined as no overlap); the same arithmetic as torchvision's box_iou.
Tensor box_iou(const Tensor& a, const Tensor& b);
// 1 for the boxes lying within the image grown by `border` pixels on every side, 0 for the others
// ((N) in the boxes' dtype): the RPN leaves anchors that cross the border out of training.
Tensor boxes_inside(const Tensor& boxes, int64_t height, int64_t width, double border = 0);
// Each box cut to the image [0, width] x [0, height].
Tensor clip_boxes(const Tensor& boxes, int64_t height, int64_t width);
// 1 for the boxes at least min_size wide and high, 0 for the others ((N) in the boxes' dtype), and
// their int64 indices (the RPN drops smaller proposals).
Tensor boxes_at_least(const Tensor& boxes, double min_size);
Tensor remove_small_boxes(const Tensor& boxes, double min_size);

// Box coding (Girshick et al., R-CNN appendix C; Faster R-CNN eq. 2): a target box relative to a
// reference box as (dx, dy, dw, dh) = ((x - xa) / wa, (y - ya) / ha, log(w / wa), log(h / ha)) on
// centres and sizes, each divided by its std so that the four have similar spread.
struct BoxCoding {
  std::array<double, 4> stds = {0.1, 0.1, 0.2, 0.2};
  // dw, dh are clamped here before exp: a wild prediction gives a box 62.5 times its anchor, not inf.
  double max_log_scale = std::log(1000.0 / 16);
};
Tensor encode_boxes(const Tensor& reference, const Tensor& target, const BoxCoding& coding = {});  // (N, 4)
Tensor decode_boxes(const Tensor& reference, const Tensor& deltas, const BoxCoding& coding = {});  // (N, 4)

}  // namespace rcnn
