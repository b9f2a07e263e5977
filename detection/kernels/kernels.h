#pragma once
// The kernels with a box in them, declared once (detection/kernels/kernel_list.inc) into rcnn::cpu and
// rcnn::cuda and picked with RCNN_KERNEL like every other kernel (core/kernels.h), which knows nothing
// of them.
#include <cmath>
#include <limits>

#include "core/kernels.h"
#include "core/scalar_ops.h"

namespace rcnn {

// The sizes of an RoI pooling: features (N, C, H, W), K boxes, output (K, C, out_h, out_w).
struct RoiGeometry {
  int64_t N, C, H, W, K, out_h, out_w;
  double spatial_scale;    // feature-map cells per image pixel (1/16 for VGG16's conv5_3)
  int64_t sampling_ratio;  // RoIAlign: samples per bin side; 0: ceil(bin size), adaptive
  bool aligned;            // RoIAlign: shift by half a cell so box edges fall between cells
};

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
RCNN_HOST_DEVICE inline T box_pair_iou(T ax1, T ay1, T ax2, T ay2, T bx1, T by1, T bx2, T by2, T area_a, T area_b) {
  const T w = (ax2 < bx2 ? ax2 : bx2) - (ax1 > bx1 ? ax1 : bx1);
  const T h = (ay2 < by2 ? ay2 : by2) - (ay1 > by1 ? ay1 : by1);
  const T inter = mul_exact(w > T(0) ? w : T(0), h > T(0) ? h : T(0));
  return inter / (area_a + area_b - inter);
}

// The largest T not above t: for an IoU x of type T, x > t exactly when x > below(t), so the compare
// stays in T (and vectorises) with the same answers as torchvision's compare in double.
template <class T>
inline T largest_not_above(double t) {
  T v = static_cast<T>(t);
  return static_cast<double>(v) > t ? std::nextafter(v, -std::numeric_limits<T>::infinity()) : v;
}

}  // namespace rcnn
