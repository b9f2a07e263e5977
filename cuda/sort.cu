// CUDA twin of core/kernels/sort.cpp. A segmented stable sort from two thrust stable sorts: first
// every element by value (carrying its flat position), then by row, which keeps each row's elements
// in value order because the second sort is stable.
#include <thrust/device_ptr.h>
#include <thrust/device_vector.h>
#include <thrust/functional.h>
#include <thrust/sequence.h>
#include <thrust/sort.h>
#include <thrust/transform.h>

#include "core/kernels.h"
#include "core/scalar_ops.h"
#include "cuda/check.h"

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
  RCNN_DISPATCH(x.dtype(), T, {
    thrust::device_ptr<const T> values(x.data<T>());
    thrust::device_vector<T> keys(values, values + total);
    thrust::device_vector<int64_t> flat(total);
    thrust::sequence(flat.begin(), flat.end());
    if (descending)
      thrust::stable_sort_by_key(keys.begin(), keys.end(), flat.begin(), Above{});
    else
      thrust::stable_sort_by_key(keys.begin(), keys.end(), flat.begin(), Below{});
    thrust::device_vector<int64_t> row(total);
    thrust::transform(flat.begin(), flat.end(), row.begin(), RowOf{s.n});
    thrust::stable_sort_by_key(row.begin(), row.end(), flat.begin());
    thrust::device_ptr<int64_t> out(indices.data<int64_t>());
    thrust::transform(flat.begin(), flat.end(), out, ColumnOf{s.n});
  });
  RCNN_CUDA_CHECK_LAUNCH();
}

}  // namespace rcnn::cuda
