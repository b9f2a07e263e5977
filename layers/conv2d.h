#pragma once
// 2-D convolution (cross-correlation, as in every deep-learning library), NCHW.
#include "core/tensor.h"

namespace rcnn {

struct Conv2dOptions {
  int64_t stride = 1;
  int64_t padding = 0;
  int64_t dilation = 1;
};

// The CPU path: oneDNN (fast, the default) or im2col + OpenBLAS (the reference chapter 03 teaches).
// float64 always takes the reference path; on a GPU cuDNN is used.
enum class CpuConvBackend { OneDNN, Im2col };
void set_cpu_conv_backend(CpuConvBackend backend);
CpuConvBackend cpu_conv_backend();

// x: (N, C, H, W), weight: (K, C, R, S), bias: (K) or undefined -> (N, K, OH, OW), with
// OH = (H + 2 padding - dilation (R - 1) - 1) / stride + 1 (and the same for OW).
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = {}, Conv2dOptions options = {});

}  // namespace rcnn
