// CPU gather / scatter_add along one dim: the kernels behind index_select, gather, max, sort and
// their gradients; and nonzero.
#include "core/kernels.h"
#include "core/kernels/parallel.h"

namespace rcnn::cpu {

// An empty output (or source) has nothing to move; returning first also keeps the division below
// from a zero (outer * inner).
void gather(IndexMode mode, const Tensor& x, Slab s, const Tensor& index, const Tensor& out) {
  if (out.numel() == 0) return;
  const int64_t m = mode == IndexMode::Select ? index.numel() : index.numel() / (s.outer * s.inner);
  const int64_t* idx = index.data<int64_t>();
  RCNN_DISPATCH(x.dtype(), T, {
    const T* in = x.data<T>();
    T* o = out.data<T>();
    parallel_for(out.numel(), [&](int64_t b, int64_t e) {
      for (int64_t k = b; k < e; ++k) {
        int64_t i = k % s.inner, j = (k / s.inner) % m, outer = k / (s.inner * m);
        int64_t row = mode == IndexMode::Select ? idx[j] : idx[k];
        o[k] = in[(outer * s.n + row) * s.inner + i];
      }
    });
  });
}

void scatter_add(IndexMode mode, const Tensor& src, const Tensor& index, Slab s, const Tensor& out) {
  if (src.numel() == 0) return;
  const int64_t m = mode == IndexMode::Select ? index.numel() : index.numel() / (s.outer * s.inner);
  const int64_t* idx = index.data<int64_t>();
  RCNN_DISPATCH(src.dtype(), T, {
    const T* in = src.data<T>();
    T* o = out.data<T>();
    // Parallel over (outer, inner) columns: two rows j of one column may hit the same target row,
    // so each column is accumulated by one thread.
    parallel_for(
        s.outer * s.inner,
        [&](int64_t b, int64_t e) {
          for (int64_t c = b; c < e; ++c) {
            int64_t outer = c / s.inner, i = c % s.inner;
            for (int64_t j = 0; j < m; ++j) {
              int64_t k = (outer * m + j) * s.inner + i;
              int64_t row = mode == IndexMode::Select ? idx[j] : idx[k];
              o[(outer * s.n + row) * s.inner + i] += in[k];
            }
          }
        },
        std::max<int64_t>(1, kGrain / std::max<int64_t>(1, m)));
  });
}

void nonzero(const Tensor& x, const Tensor& out) {
  int64_t* o = out.data<int64_t>();
  RCNN_DISPATCH(x.dtype(), T, {
    const T* in = x.data<T>();
    for (int64_t i = 0, k = 0; i < x.numel(); ++i)
      if (in[i] != T(0)) o[k++] = i;
  });
}

}  // namespace rcnn::cpu
