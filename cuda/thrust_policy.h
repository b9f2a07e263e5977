#pragma once
// Thrust as rcnn.cpp's kernels use it (include from .cu files only): thrust::cuda::par_nosync, so an
// algorithm returns as soon as its kernels are queued instead of waiting for them, with its temporary
// storage from the caching allocator (cuda/runtime.h) instead of cudaMalloc and cudaFree, which wait
// for the device. Temporaries go back to the cache when the algorithm returns, while its kernels may
// still run: every kernel is on the one default stream, so the next user of that block runs after them.
#include <cstddef>

#include <thrust/execution_policy.h>

#include "cuda/check.h"
#include "cuda/runtime.h"

namespace rcnn::cuda {

struct CachedTemporaries {
  using value_type = char;
  int device = 0;
  CachedTemporaries() { RCNN_CUDA_CHECK(cudaGetDevice(&device)); }
  char* allocate(std::ptrdiff_t bytes) { return static_cast<char*>(cuda::allocate(static_cast<size_t>(bytes), device)); }
  void deallocate(char* ptr, size_t) { cuda::release(ptr, device); }
};

// Use as thrust::sort(thrust_policy(temporaries), ...), with `CachedTemporaries temporaries;` alive
// for the calls.
inline auto thrust_policy(CachedTemporaries& temporaries) { return thrust::cuda::par_nosync(temporaries); }

// Device memory for n values of T from the caching allocator, given back at the end of the scope.
template <class T>
struct Scratch {
  CachedTemporaries& from;
  T* ptr;
  Scratch(CachedTemporaries& from, int64_t n)
      : from(from), ptr(n > 0 ? reinterpret_cast<T*>(from.allocate(static_cast<std::ptrdiff_t>(n * sizeof(T)))) : nullptr) {}
  ~Scratch() {
    if (ptr) from.deallocate(reinterpret_cast<char*>(ptr), 0);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

}  // namespace rcnn::cuda
