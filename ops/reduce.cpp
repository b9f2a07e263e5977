// Reductions: sum and argmax along one dim are kernels; everything else (several dims, mean, max)
// is composed from them and from recorded ops, so it needs no backward of its own.
#include "ops/reduce.h"

#include <algorithm>

#include "autograd/node.h"
#include "core/kernels.h"
#include "ops/checks.h"
#include "ops/elementwise.h"
#include "ops/index.h"
#include "ops/shape.h"

namespace rcnn {

using Grads = std::vector<Tensor>;

// The dims to reduce, in range, without repeats, largest first (so removing one keeps the others).
static std::vector<int64_t> reduction_dims(const char* op, const Tensor& x, const std::vector<int64_t>& dims) {
  std::vector<int64_t> out;
  for (int64_t d : dims) out.push_back(normalize_dim(d, x.dim(), op));
  std::sort(out.rbegin(), out.rend());
  check(std::adjacent_find(out.begin(), out.end()) == out.end(), op, ": a dim appears twice");
  return out;
}

static Shape keepdim_shape(const Shape& shape, int64_t dim) {
  Shape s = shape;
  s[dim] = 1;
  return s;
}

static Shape drop_dims(const Shape& shape, const std::vector<int64_t>& dims) {
  Shape s;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d)
    if (std::find(dims.begin(), dims.end(), d) == dims.end()) s.push_back(shape[d]);
  return s;
}

static std::vector<int64_t> all_dims(const Tensor& x) {
  std::vector<int64_t> dims(x.dim());
  for (int64_t d = 0; d < x.dim(); ++d) dims[d] = d;
  return dims;
}

// One sum_dim kernel per reduced dim (all dims at once: one pass over the flat data), recorded as a
// single node. d sum / dx = 1: the gradient is broadcast back to x's shape.
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  check_defined("sum", x);
  std::vector<int64_t> ds = reduction_dims("sum", x, dims);
  Shape kept = x.shape();
  for (int64_t d : ds) kept[d] = 1;
  Tensor out = x.detach();
  std::vector<int64_t> passes = ds;
  if (!ds.empty() && ds.size() == kept.size()) {  // every dim: one pass over the flat data
    out = out.view_as_shape({x.numel()});
    passes = {0};
  }
  for (int64_t d : passes) {
    Tensor partial = Tensor::empty(keepdim_shape(out.shape(), d), x.options());
    RCNN_KERNEL(x.device(), sum_dim, out, slab_around(out.shape(), d), partial);
    out = partial;
  }
  out = out.view_as_shape(keepdim ? kept : drop_dims(x.shape(), ds));
  if (should_record({&x}))
    record("sum", {x}, out, [kept, shape = x.shape()](const Tensor& g) -> Grads {
      return {expand(g.view_as_shape(kept), shape)};
    });
  return out;
}

Tensor sum(const Tensor& x) {
  check_defined("sum", x);
  return sum(x, all_dims(x));
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  check_floating("mean", x);
  int64_t count = 1;
  for (int64_t d : reduction_dims("mean", x, dims)) count *= x.shape()[d];
  check(count > 0, "mean: reducing over an empty dim of shape ", shape_str(x.shape()));
  return sum(x, dims, keepdim) / static_cast<double>(count);
}

Tensor mean(const Tensor& x) { return mean(x, all_dims(x)); }

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  check_defined("argmax", x);
  dim = normalize_dim(dim, x.dim(), "argmax");
  check(x.shape()[dim] > 0, "argmax: dim ", dim, " of shape ", shape_str(x.shape()), " is empty");
  Shape kept = keepdim_shape(x.shape(), dim);
  Tensor out = Tensor::empty(kept, {kInt64, x.device()});
  RCNN_KERNEL(x.device(), argmax_dim, x, slab_around(x.shape(), dim), out);
  return keepdim ? out : out.view_as_shape(drop_dims(x.shape(), {dim}));
}

Tensor argmax(const Tensor& x) {
  check_defined("argmax", x);
  return argmax(x.view_as_shape({x.numel()}), 0);
}

// The maximum is gathered at argmax, so its gradient is gather's: scattered back to that position.
Tensor max(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  check_defined("max", x);
  std::vector<int64_t> ds = reduction_dims("max", x, dims);
  Tensor out = x;
  for (int64_t d : ds) out = gather_in_range(out, d, argmax(out, d, /*keepdim=*/true));
  return keepdim ? out : reshape(out, drop_dims(x.shape(), ds));
}

Tensor max(const Tensor& x) {
  check_defined("max", x);
  return max(reshape(x, {x.numel()}), {0});
}

Tensor expand(const Tensor& x, const Shape& shape) {
  check_defined("expand", x);
  check(broadcast_shapes(x.shape(), shape, "expand") == shape, "expand: cannot broadcast ", shape_str(x.shape()),
        " to ", shape_str(shape));
  if (x.shape() == shape) return x;
  Tensor out = Tensor::empty(shape, x.options());
  RCNN_KERNEL(x.device(), binary, BinaryOp::Add, x, scalar_like(x, 0), out);
  if (should_record({&x}))
    record("expand", {x}, out, [from = x.shape()](const Tensor& g) -> Grads { return {sum_to(g, from)}; });
  return out;
}

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  const int64_t lead = g.dim() - static_cast<int64_t>(shape.size());
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < g.dim(); ++d)
    if (d < lead || (shape[d - lead] == 1 && g.shape()[d] != 1)) dims.push_back(d);
  return reshape(sum(g, dims, /*keepdim=*/true), shape);
}

}  // namespace rcnn
