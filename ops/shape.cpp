// Shape ops with their gradients: reshape back, permute by the inverse permutation, narrow <-> concat.
#include "ops/shape.h"

#include <numeric>

#include "autograd/node.h"
#include "core/kernels.h"
#include "ops/checks.h"

namespace rcnn {

using Grads = std::vector<Tensor>;

Tensor reshape(const Tensor& x, const Shape& requested) {
  check_defined("reshape", x);
  Shape shape = requested;
  int64_t known = 1, infer_at = -1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == -1) {
      check(infer_at < 0, "reshape: more than one -1 in ", shape_str(requested));
      infer_at = static_cast<int64_t>(d);
    } else {
      check(shape[d] >= 0, "reshape: negative size in ", shape_str(requested));
      known *= shape[d];
    }
  }
  if (infer_at >= 0) {
    check(known > 0 && x.numel() % known == 0, "reshape: cannot infer -1 in ", shape_str(requested),
          " for a tensor of shape ", shape_str(x.shape()));
    shape[infer_at] = x.numel() / known;
  }
  check(numel(shape) == x.numel(), "reshape: shape ", shape_str(requested), " does not fit the ", x.numel(),
        " elements of a tensor of shape ", shape_str(x.shape()));
  Tensor out = x.view_as_shape(shape);
  if (should_record({&x}))
    record("reshape", {x}, out, [from = x.shape()](const Tensor& g) -> Grads { return {reshape(g, from)}; });
  return out;
}

Tensor flatten(const Tensor& x, int64_t start_dim) {
  check_defined("flatten", x);
  if (x.dim() == 0) return reshape(x, {1});
  start_dim = normalize_dim(start_dim, x.dim(), "flatten");
  // The flattened size counted, not inferred (-1): with a zero-size dimension, (0, 256, 7, 7) -> (0, 12544),
  // as PyTorch gives (an image with no proposals reaches the R-CNN head with 0 RoIs).
  Shape shape(x.shape().begin(), x.shape().begin() + start_dim);
  int64_t rest = 1;
  for (size_t d = static_cast<size_t>(start_dim); d < x.shape().size(); ++d) rest *= x.shape()[d];
  shape.push_back(rest);
  return reshape(x, shape);
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  check_defined("unsqueeze", x);
  Shape shape = x.shape();
  shape.insert(shape.begin() + normalize_dim(dim, x.dim() + 1, "unsqueeze"), 1);
  return reshape(x, shape);
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  check_defined("squeeze", x);
  dim = normalize_dim(dim, x.dim(), "squeeze");
  check(x.shape()[dim] == 1, "squeeze: dim ", dim, " of shape ", shape_str(x.shape()), " is not 1");
  Shape shape = x.shape();
  shape.erase(shape.begin() + dim);
  return reshape(x, shape);
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  check_defined("permute", x);
  check(static_cast<int64_t>(dims.size()) == x.dim(), "permute: ", dims.size(), " dims for a tensor of shape ",
        shape_str(x.shape()));
  std::vector<int64_t> perm(dims.size()), inverse(dims.size(), -1);
  Shape shape(dims.size());
  for (size_t d = 0; d < dims.size(); ++d) {
    perm[d] = normalize_dim(dims[d], x.dim(), "permute");
    check(inverse[perm[d]] < 0, "permute: dim ", perm[d], " appears twice");
    inverse[perm[d]] = static_cast<int64_t>(d);
    shape[d] = x.shape()[perm[d]];
  }
  if (std::is_sorted(perm.begin(), perm.end())) return x;
  Tensor out = Tensor::empty(shape, x.options());
  RCNN_KERNEL(x.device(), permute, x, perm, out);
  if (should_record({&x}))
    record("permute", {x}, out, [inverse](const Tensor& g) -> Grads { return {permute(g, inverse)}; });
  return out;
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  check_defined("transpose", x);
  std::vector<int64_t> dims(x.dim());
  std::iota(dims.begin(), dims.end(), int64_t{0});
  std::swap(dims[normalize_dim(dim0, x.dim(), "transpose")], dims[normalize_dim(dim1, x.dim(), "transpose")]);
  return permute(x, dims);
}

// The gradient of narrow is the gradient placed in a zero tensor of the input's shape.
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  check_defined("narrow", x);
  dim = normalize_dim(dim, x.dim(), "narrow");
  const int64_t n = x.shape()[dim];
  check(start >= 0 && length >= 0 && start + length <= n, "narrow: rows [", start, ", ", start + length,
        ") are outside dim ", dim, " of shape ", shape_str(x.shape()));
  Shape shape = x.shape();
  shape[dim] = length;
  Tensor out = Tensor::empty(shape, x.options());
  Slab block = slab_around(shape, dim);
  RCNN_KERNEL(x.device(), copy_slab, x, n, start, out, length, 0, block);
  if (should_record({&x}))
    record("narrow", {x}, out, [from = x.shape(), n, start, length, block](const Tensor& g) -> Grads {
      Tensor gx = zeros(from, g.options());
      RCNN_KERNEL(g.device(), copy_slab, g, length, 0, gx, n, start, block);
      return {gx};
    });
  return out;
}

// The gradient of concat is narrowed back into one piece per input.
Tensor concat(const std::vector<Tensor>& tensors, int64_t dim) {
  check(!tensors.empty(), "concat: no tensors given");
  const Tensor& first = tensors[0];
  check_defined("concat", first);
  dim = normalize_dim(dim, first.dim(), "concat");
  Shape shape = first.shape();
  shape[dim] = 0;
  for (const Tensor& t : tensors) {
    check_same_kind("concat", first, t);
    Shape s = t.shape();
    check(s.size() == shape.size(), "concat: tensors of shapes ", shape_str(first.shape()), " and ",
          shape_str(s), " have different numbers of dims");
    s[dim] = shape[dim];
    check(s == shape, "concat: shapes ", shape_str(first.shape()), " and ", shape_str(t.shape()),
          " differ outside dim ", dim);
    shape[dim] += t.shape()[dim];
  }
  Tensor out = Tensor::empty(shape, first.options());
  std::vector<int64_t> offsets;
  int64_t offset = 0;
  for (const Tensor& t : tensors) {
    Slab block = slab_around(t.shape(), dim);
    RCNN_KERNEL(t.device(), copy_slab, t, block.n, 0, out, shape[dim], offset, block);
    offsets.push_back(offset);
    offset += block.n;
  }
  if (should_record(tensors)) {
    std::vector<int64_t> sizes;
    for (const Tensor& t : tensors) sizes.push_back(t.shape()[dim]);
    record("concat", tensors, out, [dim, offsets, sizes](const Tensor& g) -> Grads {
      Grads grads;
      for (size_t i = 0; i < sizes.size(); ++i) grads.push_back(narrow(g, dim, offsets[i], sizes[i]));
      return grads;
    });
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  check(!tensors.empty(), "stack: no tensors given");
  check_defined("stack", tensors[0]);
  dim = normalize_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> parts;
  for (const Tensor& t : tensors) {
    check(t.defined() && t.shape() == tensors[0].shape(), "stack: tensors of shapes ", shape_str(tensors[0].shape()),
          " and ", t.defined() ? shape_str(t.shape()) : "(undefined)", " differ");
    parts.push_back(unsqueeze(t, dim));
  }
  return concat(parts, dim);
}

}  // namespace rcnn
