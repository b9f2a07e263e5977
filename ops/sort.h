#pragma once
// Sorting along a dim. Values are differentiable (they are gathered from the input); indices are int64.
#include <utility>

#include "core/tensor.h"

namespace rcnn {

struct ValuesIndices {
  Tensor values;
  Tensor indices;
};

// Stable: equal values keep their original order.
ValuesIndices sort(const Tensor& x, int64_t dim = -1, bool descending = false);
// The k largest (or smallest) along dim, in order.
ValuesIndices topk(const Tensor& x, int64_t k, int64_t dim = -1, bool largest = true);

}  // namespace rcnn
