// CUDA twins of core/kernels/reduce.cpp: one thread per (outer, inner) output, which keeps
// neighbouring threads on neighbouring addresses when inner > 1; a few long sums (a loss, a gradient
// norm) get a block each instead. Sums accumulate in double.
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

// One block per output: its threads stride over the n terms, then add their partial sums in a tree in
// shared memory, in the same order on every run. (One thread summing 6 million terms took 250 ms.)
template <class T>
__global__ void sum_dim_block_kernel(const T* x, Slab s, T* out) {
  using Acc = std::conditional_t<std::is_same_v<T, int64_t>, int64_t, double>;
  __shared__ Acc partial[kThreads];
  const int64_t r = blockIdx.x;
  const T* base = x + (r / s.inner) * s.n * s.inner + r % s.inner;
  Acc acc = 0;
  for (int64_t j = threadIdx.x; j < s.n; j += blockDim.x) acc += base[j * s.inner];
  partial[threadIdx.x] = acc;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[r] = static_cast<T>(partial[0]);
}

void sum_dim(const Tensor& x, Slab s, const Tensor& out) {
  const int64_t outputs = s.outer * s.inner;
  if (outputs == 0) return;
  // Fewer outputs than a GPU has threads in flight, each a long sum: a block per output.
  const bool few_long_sums = outputs < 4096 && s.n >= 4096;
  RCNN_DISPATCH(x.dtype(), T, {
    if (few_long_sums)
      sum_dim_block_kernel<<<outputs, kThreads>>>(x.data<T>(), s, out.data<T>());
    else
      sum_dim_kernel<<<blocks_for(outputs), kThreads>>>(x.data<T>(), s, out.data<T>());
  });
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
