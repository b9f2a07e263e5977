// index_select and gather; the gradient of each is the adjoint scatter_add into zeros.
#include "ops/index.h"

#include "autograd/node.h"
#include "core/kernels.h"
#include "autograd/grad_mode.h"
#include "ops/checks.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

namespace rcnn {

using Grads = std::vector<Tensor>;

static Tensor gather_along(IndexMode mode, const char* name, const Tensor& x, int64_t dim, const Tensor& index,
                           const Shape& out_shape) {
  Slab s = slab_around(x.shape(), dim);
  Tensor out = Tensor::empty(out_shape, x.options());
  RCNN_KERNEL(x.device(), gather, mode, x, s, index, out);
  if (should_record({&x}))
    record(name, {x}, out, [mode, s, from = x.shape(), index](const Tensor& g) -> Grads {
      Tensor gx = zeros(from, g.options());
      RCNN_KERNEL(g.device(), scatter_add, mode, g, index, s, gx);
      return {gx};
    });
  return out;
}

static Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index, bool check_range) {
  check_defined("index_select", x);
  check_index("index_select", index);
  check(index.dim() == 1, "index_select: index must be 1-D, got ", describe(index));
  check(index.device() == x.device(), "index_select: x ", describe(x), " and index ", describe(index),
        " are on different devices");
  dim = normalize_dim(dim, x.dim(), "index_select");
  if (check_range) check_index_range("index_select", index, x.shape()[dim]);
  Shape shape = x.shape();
  shape[dim] = index.numel();
  return gather_along(IndexMode::Select, "index_select", x, dim, index, shape);
}

static Tensor gather(const Tensor& x, int64_t dim, const Tensor& index, bool check_range) {
  check_defined("gather", x);
  check_index("gather", index);
  check(index.device() == x.device(), "gather: x ", describe(x), " and index ", describe(index),
        " are on different devices");
  dim = normalize_dim(dim, x.dim(), "gather");
  check(index.dim() == x.dim(), "gather: index ", describe(index), " and x ", describe(x),
        " have different numbers of dims");
  Shape expect = x.shape();
  expect[dim] = index.shape()[dim];
  check(index.shape() == expect, "gather: index shape ", shape_str(index.shape()),
        " must match x's shape ", shape_str(x.shape()), " outside dim ", dim);
  if (check_range) check_index_range("gather", index, x.shape()[dim]);
  return gather_along(IndexMode::Gather, "gather", x, dim, index, index.shape());
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) { return index_select(x, dim, index, true); }
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) { return gather(x, dim, index, true); }
Tensor index_select_in_range(const Tensor& x, int64_t dim, const Tensor& index) {
  return index_select(x, dim, index, false);
}
Tensor gather_in_range(const Tensor& x, int64_t dim, const Tensor& index) { return gather(x, dim, index, false); }

Tensor index_counts(int64_t n, const Tensor& index, TensorOptions options) {
  check_index("index_counts", index);
  check(index.dim() == 1 && index.device() == options.device, "index_counts: index ", describe(index),
        " must be 1-D on the result's device");
  check_index_range("index_counts", index, n);
  Tensor out = zeros({n}, options);
  if (index.numel() > 0)
    RCNN_KERNEL(out.device(), scatter_add, IndexMode::Select, ones({index.numel()}, options), index, Slab{1, n, 1}, out);
  return out;
}

namespace {

int64_t count_nonzero(const Tensor& x) {
  NoGradGuard no_grad;
  return static_cast<int64_t>(sum(ne(x.detach(), scalar_like(x, 0)).to(kInt64)).item());
}

// The positions into an output of `count` (x's number of non-zero elements): the kernel writes them all.
Tensor compact(const Tensor& x, int64_t count) {
  Tensor out = Tensor::empty({count}, {kInt64, x.device()});
  RCNN_KERNEL(x.device(), nonzero, x, out);
  return out;
}

}  // namespace

Tensor nonzero(const Tensor& x) {
  check_defined("nonzero", x);
  return compact(x, count_nonzero(x));
}

Tensor nonzero(const Tensor& x, int64_t count) {
  check_defined("nonzero", x);
  check(count >= 0 && count <= x.numel(), "nonzero: count ", count, " for ", describe(x));
  // A wrong count would make the kernel write past the result: verified where reading x is free.
  if (values_checked(x)) {
    const int64_t actual = count_nonzero(x);
    check(count == actual, "nonzero: count ", count, " for ", describe(x), " with ", actual, " non-zero elements");
  }
  return compact(x, count);
}

}  // namespace rcnn
