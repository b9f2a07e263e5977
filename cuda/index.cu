// CUDA twins of core/kernels/index.cpp: gather and scatter_add (atomics, since two indices may
// name the same row), and nonzero (cub's stream compaction).
#include <cub/device/device_select.cuh>
#include <thrust/iterator/counting_iterator.h>

#include "core/kernels.h"
#include "cuda/check.h"
#include "cuda/thrust_policy.h"

namespace rcnn::cuda {

__device__ inline void atomic_add(float* p, float v) { atomicAdd(p, v); }
__device__ inline void atomic_add(double* p, double v) { atomicAdd(p, v); }
__device__ inline void atomic_add(int64_t* p, int64_t v) {
  atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
}

// Element k of the (outer, m, inner) side and the row of the (outer, n, inner) side it pairs with.
__device__ inline int64_t slab_offset(IndexMode mode, const int64_t* idx, Slab s, int64_t m, int64_t k) {
  int64_t i = k % s.inner, j = (k / s.inner) % m, outer = k / (s.inner * m);
  int64_t row = mode == IndexMode::Select ? idx[j] : idx[k];
  return (outer * s.n + row) * s.inner + i;
}

template <class T>
__global__ void gather_kernel(IndexMode mode, const T* x, Slab s, const int64_t* idx, int64_t m, T* out, int64_t total) {
  RCNN_GRID_STRIDE_LOOP(k, total) out[k] = x[slab_offset(mode, idx, s, m, k)];
}

template <class T>
__global__ void scatter_add_kernel(IndexMode mode, const T* src, const int64_t* idx, Slab s, int64_t m, T* out,
                                   int64_t total) {
  RCNN_GRID_STRIDE_LOOP(k, total) atomic_add(out + slab_offset(mode, idx, s, m, k), src[k]);
}

static int64_t rows_indexed(IndexMode mode, const Tensor& index, Slab s) {
  return mode == IndexMode::Select ? index.numel() : index.numel() / (s.outer * s.inner);
}

void gather(IndexMode mode, const Tensor& x, Slab s, const Tensor& index, const Tensor& out) {
  const int64_t total = out.numel();
  if (total == 0) return;  // before rows_indexed, which divides by (outer * inner)
  const int64_t m = rows_indexed(mode, index, s);
  RCNN_DISPATCH(x.dtype(), T, {
    gather_kernel<<<blocks_for(total), kThreads>>>(mode, x.data<T>(), s, index.data<int64_t>(), m, out.data<T>(), total);
  });
  RCNN_CUDA_CHECK_LAUNCH();
}

void scatter_add(IndexMode mode, const Tensor& src, const Tensor& index, Slab s, const Tensor& out) {
  const int64_t total = src.numel();
  if (total == 0) return;
  const int64_t m = rows_indexed(mode, index, s);
  RCNN_DISPATCH(src.dtype(), T, {
    scatter_add_kernel<<<blocks_for(total), kThreads>>>(mode, src.data<T>(), index.data<int64_t>(), s, m,
                                                        out.data<T>(), total);
  });
  RCNN_CUDA_CHECK_LAUNCH();
}

template <class T>
struct NonZeroAt {
  const T* x;
  __host__ __device__ bool operator()(int64_t i) const { return x[i] != T(0); }
};

// The caller (ops/index.cpp) read the count already and sized `out`: cub writes its own count to
// device memory nobody reads, so, unlike thrust::copy_if, nothing here waits for the device.
void nonzero(const Tensor& x, const Tensor& out) {
  if (out.numel() == 0) return;
  CachedTemporaries temporaries;
  Scratch<int64_t> count(temporaries, 1);
  const thrust::counting_iterator<int64_t> positions(0);
  RCNN_DISPATCH(x.dtype(), T, {
    size_t bytes = 0;
    RCNN_CUDA_CHECK(cub::DeviceSelect::If(nullptr, bytes, positions, out.data<int64_t>(), count.ptr, x.numel(),
                                          NonZeroAt<T>{x.data<T>()}));
    Scratch<char> scratch(temporaries, static_cast<int64_t>(bytes > 0 ? bytes : 1));  // null would ask for the size again
    RCNN_CUDA_CHECK(cub::DeviceSelect::If(scratch.ptr, bytes, positions, out.data<int64_t>(), count.ptr, x.numel(),
                                          NonZeroAt<T>{x.data<T>()}));
  });
  RCNN_CUDA_CHECK_LAUNCH();
}

}  // namespace rcnn::cuda
