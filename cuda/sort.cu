// CUDA twin of core/kernels/sort.cpp. A segmented stable sort from two thrust stable sorts: first
// every element by value (carrying its flat position), then by row, which keeps each row's elements
// in value order because the second sort is stable. One row (top-k of proposals, NMS's order) needs
// only the first. Neither waits for the device, and their scratch comes from the caching allocator
// (cuda/thrust_policy.h).
#include <thrust/functional.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/sort.h>
#include <thrust/transform.h>

#include "core/kernels.h"
#include "core/scalar_ops.h"
#include "cuda/check.h"
#include "cuda/thrust_policy.h"

namespace rcnn::cuda {

// NaN ranks above every number, as on the CPU (core/scalar_ops.h).
struct Above {
  template <class T>
  __host__ __device__ bool operator()(T a, T b) const { return ranks_above(a, b); }
};
struct Below {
  template <class T>
  __host__ __device__ bool operator()(T a, T b) const { return ranks_above(b, a); }
};

struct RowOf {
  int64_t n;
  __host__ __device__ int64_t operator()(int64_t flat) const { return flat / n; }
};
struct ColumnOf {
  int64_t n;
  __host__ __device__ int64_t operator()(int64_t flat) const { return flat % n; }
};

void sort_rows(const Tensor& x, Slab s, bool descending, const Tensor& indices) {
  const int64_t total = s.outer * s.n;
  CachedTemporaries temporaries;
  const auto policy = thrust_policy(temporaries);
  RCNN_DISPATCH(x.dtype(), T, {
    Scratch<T> keys(temporaries, total);
    thrust::copy(policy, x.data<T>(), x.data<T>() + total, keys.ptr);
    // One row: its flat positions are its columns, sorted straight into the result.
    Scratch<int64_t> flat(temporaries, s.outer == 1 ? 0 : total);
    int64_t* order = s.outer == 1 ? indices.data<int64_t>() : flat.ptr;
    thrust::copy(policy, thrust::counting_iterator<int64_t>(0), thrust::counting_iterator<int64_t>(total), order);
    if (descending)
      thrust::stable_sort_by_key(policy, keys.ptr, keys.ptr + total, order, Above{});
    else
      thrust::stable_sort_by_key(policy, keys.ptr, keys.ptr + total, order, Below{});
    if (s.outer > 1) {
      Scratch<int64_t> row(temporaries, total);
      thrust::transform(policy, flat.ptr, flat.ptr + total, row.ptr, RowOf{s.n});
      thrust::stable_sort_by_key(policy, row.ptr, row.ptr + total, flat.ptr);
      thrust::transform(policy, flat.ptr, flat.ptr + total, indices.data<int64_t>(), ColumnOf{s.n});
    }
  });
  RCNN_CUDA_CHECK_LAUNCH();
}

}  // namespace rcnn::cuda
