#pragma once
// The kernels with a box in them, declared once (detection/kernels/kernel_list.inc) into rcnn::cpu and
// rcnn::cuda and picked with RCNN_KERNEL like every other kernel (core/kernels.h), which knows nothing
// of them.
#include "core/kernels.h"
#include "core/scalar_ops.h"

namespace rcnn {

#define RCNN_KERNEL_DECLARE(name, parameters) void name parameters;
namespace cpu {
#include "detection/kernels/kernel_list.inc"
}
namespace cuda {
#include "detection/kernels/kernel_list.inc"
}
#undef RCNN_KERNEL_DECLARE

// The IoU that NMS compares, written once for both twins, with torchvision's arithmetic (areas
// (x2 - x1)(y2 - y1), no +1) so that keep lists match it exactly; mul_exact keeps the GPU compiler
// from fusing w * h into the subtraction (a fused multiply-add rounds differently).
template <class T>
RCNN_HOST_DEVICE inline T box_pair_iou(const T* a, const T* b, T area_a, T area_b) {
  const T w = (a[2] < b[2] ? a[2] : b[2]) - (a[0] > b[0] ? a[0] : b[0]);
  const T h = (a[3] < b[3] ? a[3] : b[3]) - (a[1] > b[1] ? a[1] : b[1]);
  const T inter = mul_exact(w > T(0) ? w : T(0), h > T(0) ? h : T(0));
  return inter / (area_a + area_b - inter);
}

}  // namespace rcnn
