// sort: the sort_rows kernel finds the permutation of each row (with dim moved last), and the values
// are gathered with it, so their gradient is gather's.
#include "ops/sort.h"

#include "core/kernels.h"
#include "ops/checks.h"
#include "ops/index.h"
#include "ops/shape.h"

namespace rcnn {

ValuesIndices sort(const Tensor& x, int64_t dim, bool descending) {
  check_defined("sort", x);
  dim = normalize_dim(dim, x.dim(), "sort");
  const int64_t last = x.dim() - 1;
  Tensor rows = transpose(x.detach(), dim, last);  // dim moved last: (rows, n)
  Tensor idx = Tensor::empty(rows.shape(), {kInt64, x.device()});
  Slab s{rows.numel() / std::max<int64_t>(1, x.shape()[dim]), x.shape()[dim], 1};
  if (rows.numel() > 0) RCNN_KERNEL(x.device(), sort_rows, rows, s, descending, idx);
  idx = transpose(idx, dim, last);
  return {gather_in_range(x, dim, idx), idx};
}

ValuesIndices topk(const Tensor& x, int64_t k, int64_t dim, bool largest) {
  check_defined("topk", x);
  dim = normalize_dim(dim, x.dim(), "topk");
  check(k >= 0 && k <= x.shape()[dim], "topk: k = ", k, " for dim ", dim, " of shape ", shape_str(x.shape()));
  ValuesIndices sorted = sort(x, dim, largest);
  return {narrow(sorted.values, dim, 0, k), narrow(sorted.indices, dim, 0, k)};
}

}  // namespace rcnn
