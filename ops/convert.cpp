// Moving a tensor between devices and dtypes; both are differentiable, so a graph can cross from the
// CPU to the GPU and back.
#include "autograd/node.h"
#include "core/kernels.h"
#include "ops/checks.h"

namespace rcnn {

Tensor Tensor::to(Device target) const {
  if (device() == target) return *this;
  Tensor out = Tensor::empty(shape(), {dtype(), target});
  copy_bytes(out.raw(), target, raw(), device(), numel() * dtype_size(dtype()));
  if (should_record({this}))
    record("to_device", {*this}, out, [source = device()](const Tensor& g) -> std::vector<Tensor> {
      return {g.to(source)};
    });
  return out;
}

Tensor Tensor::to(DType target) const {
  if (dtype() == target) return *this;
  Tensor out = Tensor::empty(shape(), {target, device()});
  RCNN_KERNEL(device(), cast, *this, out);
  if (is_floating(target) && should_record({this}))
    record("to_dtype", {*this}, out, [source = dtype()](const Tensor& g) -> std::vector<Tensor> {
      return {g.to(source)};
    });
  return out;
}

}  // namespace rcnn
