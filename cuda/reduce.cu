// CUDA twins of core/kernels/reduce.cpp: one thread per (outer, inner) output, which keeps
// neighbouring threads on neighbouring addresses when inner > 1. Sums accumulate in double.
#include "core/kernels.h"
#include "core/scalar_ops.h"
#include "cuda/check.h"

namespace rcnn::cuda {

template <class T>
__global__ void sum_dim_kernel(const T* x, Slab s, T* out) {
  using Acc = std::conditional_t<std::is_same_v<T, int64_t>, int64_t, double>;
  RCNN_GRID_STRIDE_LOOP(r, s.outer * s.inner) {
    const T* base = x + (r / s.inner) * s.n * s.inner + r % s.inner;
    Acc acc = 0;
    for (int64_t j = 0; j < s.n; ++j) acc += base[j * s.inner];
    out[r] = static_cast<T>(acc);
  }
}

void sum_dim(const Tensor& x, Slab s, const Tensor& out) {
  RCNN_DISPATCH(x.dtype(), T, sum_dim_kernel<<<blocks_for(s.outer * s.inner), kThreads>>>(x.data<T>(), s, out.data<T>()));
  RCNN_CUDA_CHECK_LAUNCH();
}

template <class T>
__global__ void argmax_dim_kernel(const T* x, Slab s, int64_t* out) {
  RCNN_GRID_STRIDE_LOOP(r, s.outer * s.inner) {
    const T* base = x + (r / s.inner) * s.n * s.inner + r % s.inner;
    int64_t best = 0;
    for (int64_t j = 1; j < s.n; ++j)
      if (ranks_above(base[j * s.inner], base[best * s.inner])) best = j;
    out[r] = best;
  }
}

void argmax_dim(const Tensor& x, Slab s, const Tensor& out) {
  RCNN_DISPATCH(x.dtype(), T, {
    argmax_dim_kernel<<<blocks_for(s.outer * s.inner), kThreads>>>(x.data<T>(), s, out.data<int64_t>());
  });
  RCNN_CUDA_CHECK_LAUNCH();
}

}  // namespace rcnn::cuda
