// CPU sort: the stable permutation that orders each row. NaN ranks above every number (last when
// ascending, first when descending, as in PyTorch): `<` alone is no strict weak order with NaN.
#include <algorithm>
#include <numeric>

#include "core/kernels.h"
#include "core/kernels/parallel.h"
#include "core/scalar_ops.h"

namespace rcnn::cpu {

void sort_rows(const Tensor& x, Slab s, bool descending, const Tensor& indices) {
  RCNN_DISPATCH(x.dtype(), T, {
    const T* in = x.data<T>();
    int64_t* out = indices.data<int64_t>();
    parallel_for(
        s.outer,
        [&](int64_t b, int64_t e) {
          for (int64_t r = b; r < e; ++r) {
            const T* row = in + r * s.n;
            int64_t* idx = out + r * s.n;
            std::iota(idx, idx + s.n, int64_t{0});
            if (descending)
              std::stable_sort(idx, idx + s.n, [&](int64_t a, int64_t c) { return ranks_above(row[a], row[c]); });
            else
              std::stable_sort(idx, idx + s.n, [&](int64_t a, int64_t c) { return ranks_above(row[c], row[a]); });
          }
        },
        1);
  });
}

}  // namespace rcnn::cpu
