// conv2d: forward and backward side by side; the kernels are in core/kernels/conv2d.cpp (which picks
// oneDNN, core/kernels/conv2d_onednn.cpp, or its own im2col + GEMM) and cuda/conv2d.cu (cuDNN).
// Backward (y = x * w + b):  dx = dy *^T w (the "transposed convolution"), dw = x * dy, db = sum dy.
#include "layers/conv2d.h"

#include "autograd/node.h"
#include "core/kernels.h"
#include "ops/checks.h"
#include "ops/ops.h"

namespace rcnn {

namespace {

Conv2dGeometry geometry(const Tensor& x, const Tensor& w, const Conv2dOptions& o) {
  auto fail = [&] { return concat_message("conv2d: input ", describe(x), ", weight ", describe(w)); };
  check(x.dim() == 4, fail(), ": the input must be 4-D (N, C, H, W)");
  check(w.dim() == 4, fail(), ": the weight must be 4-D (K, C, R, S)");
  check(o.groups >= 1 && w.size(0) % o.groups == 0, fail(), ": groups ", o.groups, " must divide the ", w.size(0),
        " filters");
  check(x.size(1) == w.size(1) * o.groups, fail(), ": the input has ", x.size(1), " channels, the weight expects ",
        w.size(1), o.groups > 1 ? concat_message(" per group x ", o.groups, " groups") : std::string());
  check(o.stride >= 1 && o.dilation >= 1 && o.padding >= 0, fail(), ": stride ", o.stride, ", padding ", o.padding,
        ", dilation ", o.dilation, " (need stride, dilation >= 1, padding >= 0)");
  Conv2dGeometry g{x.size(0), x.size(1), x.size(2), x.size(3), w.size(0), w.size(2), w.size(3), 0, 0,
                   o.stride,  o.stride,  o.padding, o.padding, o.dilation, o.dilation, o.groups};
  g.OH = (g.H + 2 * g.pad_h - g.dilation_h * (g.R - 1) - 1) / g.stride_h + 1;
  g.OW = (g.W + 2 * g.pad_w - g.dilation_w * (g.S - 1) - 1) / g.stride_w + 1;
  check(g.OH > 0 && g.OW > 0, fail(), ": the kernel (with dilation and padding) is larger than the input");
  return g;
}

// No image, no input channel or no filter: oneDNN and cuDNN reject zero sizes, and the answer needs
// no backend. Each output is an empty sum plus its bias, so y is the bias (PyTorch, for 0 input
// channels, returns a (N, 0, OH, OW) tensor instead) and the gradients of x and w are zeros; the
// sums of the empty x and w (each 0, or 0 times a weight) keep them in the graph.
Tensor empty_conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dGeometry& g) {
  Tensor y = zeros({g.N, g.K, g.OH, g.OW}, x.options());
  if (bias.defined()) y = y + reshape(bias, {1, g.K, 1, 1});
  if (!should_record({&x, &w})) return y;
  return y + (sum(x) + sum(w)) * 0.0;
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Conv2dOptions options) {
  check_same_kind("conv2d", x, weight);
  check_floating("conv2d", x);
  const Conv2dGeometry g = geometry(x, weight, options);
  if (bias.defined()) {
    check_same_kind("conv2d", x, bias);
    check(bias.shape() == Shape{g.K}, "conv2d: bias ", describe(bias), " must have shape (", g.K, ",)");
  }
  if (g.N == 0 || g.C == 0 || g.K == 0) return empty_conv2d(x, weight, bias, g);
  Tensor y = Tensor::empty({g.N, g.K, g.OH, g.OW}, x.options());
  RCNN_KERNEL(x.device(), conv2d_forward, x, weight, bias, g, y);
  if (should_record({&x, &weight, &bias})) {
    const bool need_x = x.requires_grad(), need_w = weight.requires_grad(), need_b = bias.defined() && bias.requires_grad();
    record("conv2d", {x, weight, bias}, y,
           [x = saved_if(need_w || need_b, x), w = weight.detach(), x_shape = x.shape(), has_bias = bias.defined(), g,
            need_x, need_w, need_b](const Tensor& gy) -> std::vector<Tensor> {
             Tensor gx, gw, gb;
             if (need_x) {
               gx = Tensor::empty(x_shape, gy.options());
               RCNN_KERNEL(gy.device(), conv2d_backward_input, gy, w, g, gx);
             }
             if (need_w || need_b) {
               gw = Tensor::empty(w.shape(), w.options());
               if (has_bias) gb = Tensor::empty({g.K}, w.options());
               RCNN_KERNEL(gy.device(), conv2d_backward_weight, gy, x, g, gw, gb);
             }
             return {gx, need_w ? gw : Tensor(), need_b ? gb : Tensor()};
           });
  }
  return y;
}

}  // namespace rcnn
