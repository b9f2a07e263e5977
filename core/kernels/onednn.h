#pragma once
// The fast CPU convolution: oneDNN (Debian's libdnnl), the CPU counterpart of cuDNN. Same signatures
// as the im2col + OpenBLAS reference kernels in rcnn::cpu; float32 only (float64 gradient checks use
// the reference path).
#include "core/kernels.h"

namespace rcnn::onednn {

void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dGeometry& g, const Tensor& y);
void conv2d_backward_input(const Tensor& gy, const Tensor& w, const Conv2dGeometry& g, const Tensor& gx);
void conv2d_backward_weight(const Tensor& gy, const Tensor& x, const Conv2dGeometry& g, const Tensor& gw,
                            const Tensor& gb);

}  // namespace rcnn::onednn
