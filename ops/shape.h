#pragma once
// Ops that rearrange elements. reshape shares storage; the others copy (no hidden strides).
#include <vector>

#include "core/tensor.h"

namespace rcnn {

Tensor reshape(const Tensor& x, const Shape& shape);  // one size may be -1 (inferred)
Tensor flatten(const Tensor& x, int64_t start_dim = 0);  // dims from start_dim on become one
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor squeeze(const Tensor& x, int64_t dim);
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
Tensor concat(const std::vector<Tensor>& tensors, int64_t dim);
// Tensors of one shape joined along a new dim `dim` (concat of their unsqueezed selves).
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);

}  // namespace rcnn
