#pragma once
// 2-D convolution (cross-correlation, as in every deep-learning library), NCHW.
#include "core/kernels/conv2d_backend.h"  // set_cpu_conv_backend: oneDNN or im2col + GEMM
#include "core/tensor.h"

namespace rcnn {

struct Conv2dOptions {
  int64_t stride = 1;
  int64_t padding = 0;
  int64_t dilation = 1;
  int64_t groups = 1;  // C and K split into this many independent convolutions; C: depthwise
};

// x: (N, C, H, W), weight: (K, C / groups, R, S), bias: (K) or undefined -> (N, K, OH, OW), with
// OH = (H + 2 padding - dilation (R - 1) - 1) / stride + 1 (and the same for OW).
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = {}, Conv2dOptions options = {});

}  // namespace rcnn
