#pragma once
// Indexing along one dim with int64 index tensors.
#include "core/tensor.h"

namespace rcnn {

// out = x with dim `dim` replaced by the rows listed in `index` (1-D); rows may repeat.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// out[..., j, ...] = x[..., index[..., j, ...], ...] along dim; index has x's shape except at dim.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);

}  // namespace rcnn
