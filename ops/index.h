#pragma once
// Indexing along one dim with int64 index tensors.
#include "core/tensor.h"

namespace rcnn {

// out = x with dim `dim` replaced by the rows listed in `index` (1-D); rows may repeat.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// out[..., j, ...] = x[..., index[..., j, ...], ...] along dim; index has x's shape except at dim.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);

// The same for indices that cannot be out of range: made by rcnn.cpp's own kernels (argmax, sort) or
// checked by the caller already. They skip the range check, which copies a GPU's indices to the host.
Tensor index_select_in_range(const Tensor& x, int64_t dim, const Tensor& index);
Tensor gather_in_range(const Tensor& x, int64_t dim, const Tensor& index);

// (n) in `options`: how often each position 0..n-1 appears in the int64 index (1-D), i.e. a 0/1 mask
// of the listed positions when they do not repeat. The samplers' index -> mask step.
Tensor index_counts(int64_t n, const Tensor& index, TensorOptions options);

// The positions (int64, in increasing order) of x's non-zero elements, x viewed flat: the indices of
// a mask. The count sizes the result, so a GPU tensor is synchronised once, as in PyTorch.
Tensor nonzero(const Tensor& x);
// The same when the caller has read that count already (with others, in one copy: one wait). It must
// be x's number of non-zero elements: an error says otherwise where values are checked (ops/checks.h).
Tensor nonzero(const Tensor& x, int64_t count);

}  // namespace rcnn
