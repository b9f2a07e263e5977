#pragma once
// Reductions over all elements or over given dims (keepdim keeps them as size 1).
#include <vector>

#include "core/tensor.h"

namespace rcnn {

Tensor sum(const Tensor& x);  // 0-d
// Over the given dims. No dims ({}) sums over none and gives x's values back, as NumPy's
// sum(axis=()) does (PyTorch 1.13 sums everything for dim=[], and warns that this will change to ours);
// sum(x) sums everything.
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
// max's gradient goes to the first position of the maximum, like PyTorch's max(dim). A deliberate
// difference: PyTorch's all-reduce max() (no dims) splits the gradient evenly among tied maxima;
// ours sends it all to the first, as max(dim) and max pooling do, so one rule holds everywhere.
// NaN ranks above every number (propagated, as in PyTorch); the max of an empty dim is an error.
Tensor max(const Tensor& x);
Tensor max(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor argmax(const Tensor& x);  // index into the flattened tensor, 0-d int64
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);

// Broadcasts x to `shape` (NumPy rules); the gradient is summed back.
Tensor expand(const Tensor& x, const Shape& shape);
// Sums a broadcast gradient back to the shape of the input it was broadcast from.
Tensor sum_to(const Tensor& g, const Shape& shape);

}  // namespace rcnn
