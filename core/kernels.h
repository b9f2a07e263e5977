#pragma once
// The kernel interface. Every kernel exists twice with the same signature: rcnn::cpu:: (core/kernels/)
// and rcnn::cuda:: (cuda/, or cuda/stubs.cpp in a build without CUDA). Ops pick one with
// RCNN_KERNEL, the only place that looks at the device. Kernels check nothing: the op that calls
// them has already checked shapes, dtypes and devices and allocated the output.
#include <atomic>
#include <cmath>
#include <vector>

#include "core/broadcast.h"  // RCNN_HOST_DEVICE
#include "core/tensor.h"

namespace rcnn {

enum class UnaryOp { Neg, Exp, Log, Sqrt, Abs, Sign, Floor, Ceil, Relu, Sigmoid, Pow, Clamp };
enum class BinaryOp { Add, Sub, Mul, Div, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge };

// How an index tensor addresses the (outer, n, inner) slab of a tensor:
// Select: one vector of positions (m) shared by every outer and inner position (index_select);
// Gather: one position per output element, index shaped (outer, m, inner) like the output.
enum class IndexMode { Select, Gather };

// The sizes of a 2-D convolution: input (N, C, H, W), weight (K, C, R, S), output (N, K, OH, OW).
struct Conv2dGeometry {
  int64_t N, C, H, W, K, R, S, OH, OW;
  int64_t stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
  // Channels in `groups` separate convolutions: C / groups inputs to K / groups outputs each (the
  // weight is (K, C / groups, R, S)); groups = C is a depthwise convolution (MobileNet).
  int64_t groups = 1;
};

// The sizes of a 2-D pooling: input (N, C, H, W), window (R, S), output (N, C, OH, OW).
struct Pool2dGeometry {
  int64_t N, C, H, W, R, S, OH, OW;
  int64_t stride_h, stride_w, pad_h, pad_w;
};

// Nearest-neighbour upsampling: the input row (or column) that output `out` of `out_size` copies, as
// PyTorch's interpolate(mode="nearest") computes it (UpSample.h, nearest_idx): the same index when the
// sizes are equal, out / 2 when the output is twice the input, else floor(out * (in / out_size)) with the
// ratio in float32, never past the last input. Shared by both devices' kernels, so they agree exactly.
RCNN_HOST_DEVICE inline int64_t nearest_source(int64_t out, int64_t in_size, int64_t out_size) {
  if (out_size == in_size) return out;
  if (out_size == 2 * in_size) return out >> 1;
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  const int64_t source = static_cast<int64_t>(floorf(static_cast<float>(out) * scale));
  return source < in_size - 1 ? source : in_size - 1;
}

#define RCNN_KERNEL_DECLARE(name, parameters) void name parameters;
namespace cpu {
#include "core/kernel_list.inc"
}
namespace cuda {
#include "core/kernel_list.inc"
}
#undef RCNN_KERNEL_DECLARE

// Every call is counted (kernel_calls): on a GPU each is at least one launch, whose host time adds up
// where kernels are small, so benchmarks count them per step.
#define RCNN_KERNEL(device, name, ...)                                     \
  (::rcnn::kernel_call_count.fetch_add(1, std::memory_order_relaxed),      \
   (device).is_cuda() ? ::rcnn::cuda::name(__VA_ARGS__) : ::rcnn::cpu::name(__VA_ARGS__))
inline std::atomic<int64_t> kernel_call_count{0};
inline int64_t kernel_calls() { return kernel_call_count.load(std::memory_order_relaxed); }

}  // namespace rcnn
