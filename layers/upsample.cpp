// upsample_nearest: forward and backward side by side; kernels in core/kernels/upsample.cpp and
// cuda/upsample.cu.
#include "layers/upsample.h"

#include "autograd/node.h"
#include "core/kernels.h"
#include "ops/checks.h"

namespace rcnn {

Tensor upsample_nearest(const Tensor& x, int64_t height, int64_t width) {
  check_floating("upsample_nearest", x);
  check(x.dim() == 4, "upsample_nearest: the input must be 4-D (N, C, H, W), got ", describe(x));
  check(height >= 1 && width >= 1, "upsample_nearest: the size must be at least 1 x 1, got ", height, " x ", width);
  check(x.size(2) >= 1 && x.size(3) >= 1, "upsample_nearest: input ", describe(x), " has no pixel to copy");
  Tensor y = Tensor::empty({x.size(0), x.size(1), height, width}, x.options());
  RCNN_KERNEL(x.device(), upsample_nearest_forward, x, y);
  if (should_record({&x}))
    record("upsample_nearest", {x}, y, [shape = x.shape(), options = x.options()](const Tensor& gy) -> std::vector<Tensor> {
      Tensor gx = Tensor::empty(shape, options);
      RCNN_KERNEL(gy.device(), upsample_nearest_backward, gy, gx);
      return {gx};
    });
  return y;
}

}  // namespace rcnn
