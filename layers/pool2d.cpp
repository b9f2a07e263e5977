// max_pool2d: forward and backward side by side; kernels in core/kernels/pool2d.cpp and cuda/pool2d.cu.
// Backward routes each output's gradient to the position of its window's (first) maximum.
#include "layers/pool2d.h"

#include "autograd/node.h"
#include "core/kernels.h"
#include "ops/checks.h"

namespace rcnn {

static int64_t pooled_size(int64_t in, int64_t k, int64_t s, int64_t p, bool ceil_mode) {
  const int64_t span = in + 2 * p - k;
  int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  // As in PyTorch: in ceil mode the last window must start inside the image or its left padding.
  if (ceil_mode && (out - 1) * s >= in + p) --out;
  return out;
}

Tensor max_pool2d(const Tensor& x, MaxPool2dOptions o) {
  check_floating("max_pool2d", x);
  check(x.dim() == 4, "max_pool2d: the input must be 4-D (N, C, H, W), got ", describe(x));
  check(o.kernel >= 1 && o.stride >= 0 && o.padding >= 0 && 2 * o.padding <= o.kernel, "max_pool2d: kernel ",
        o.kernel, ", stride ", o.stride, ", padding ", o.padding,
        " (need kernel >= 1, stride >= 0 where 0 means the kernel size, padding at most half the kernel)");
  const int64_t stride = o.stride > 0 ? o.stride : o.kernel;
  check(x.size(2) + 2 * o.padding >= o.kernel && x.size(3) + 2 * o.padding >= o.kernel, "max_pool2d: input ",
        describe(x), " is smaller than the ", o.kernel, "x", o.kernel, " window");
  Pool2dGeometry g{x.size(0), x.size(1), x.size(2), x.size(3), o.kernel, o.kernel, 0, 0,
                   stride,    stride,    o.padding, o.padding};
  g.OH = pooled_size(g.H, g.R, stride, o.padding, o.ceil_mode);
  g.OW = pooled_size(g.W, g.S, stride, o.padding, o.ceil_mode);
  Tensor y = Tensor::empty({g.N, g.C, g.OH, g.OW}, x.options());
  RCNN_KERNEL(x.device(), max_pool2d_forward, x, g, y);
  if (should_record({&x}))
    record("max_pool2d", {x}, y, [x = x.detach(), g](const Tensor& gy) -> std::vector<Tensor> {
      Tensor gx = Tensor::empty(x.shape(), x.options());
      RCNN_KERNEL(gy.device(), max_pool2d_backward, x, gy, g, gx);
      return {gx};
    });
  return y;
}

}  // namespace rcnn
