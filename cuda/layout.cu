// CUDA twins of core/kernels/layout.cpp: permute and slab copies.
#include "core/kernels.h"
#include "cuda/check.h"

namespace rcnn::cuda {

constexpr int kMaxDims = 8;
struct PermuteArgs {
  int ndim;
  int64_t out_size[kMaxDims];
  int64_t in_stride[kMaxDims];  // x's stride of out's dim d
};

template <class T>
__global__ void permute_kernel(const T* x, T* out, int64_t n, PermuteArgs p) {
  RCNN_GRID_STRIDE_LOOP(i, n) {
    int64_t rest = i, off = 0;
    for (int d = p.ndim - 1; d >= 0; --d) {
      off += (rest % p.out_size[d]) * p.in_stride[d];
      rest /= p.out_size[d];
    }
    out[i] = x[off];
  }
}

void permute(const Tensor& x, const std::vector<int64_t>& dims, const Tensor& out) {
  const int nd = static_cast<int>(x.dim());
  check(nd <= kMaxDims, "permute: CUDA supports at most ", kMaxDims, " dims, got ", shape_str(x.shape()));
  PermuteArgs p{nd, {}, {}};
  int64_t in_stride[kMaxDims];
  int64_t stride = 1;
  for (int d = nd - 1; d >= 0; --d) {
    in_stride[d] = stride;
    stride *= x.shape()[d];
  }
  for (int d = 0; d < nd; ++d) {
    p.out_size[d] = out.shape()[d];
    p.in_stride[d] = in_stride[dims[d]];
  }
  const int64_t n = out.numel();
  RCNN_DISPATCH(x.dtype(), T, permute_kernel<<<blocks_for(n), kThreads>>>(x.data<T>(), out.data<T>(), n, p));
  RCNN_CUDA_CHECK_LAUNCH();
}

void copy_slab(const Tensor& src, int64_t src_n, int64_t src_offset, const Tensor& dst, int64_t dst_n,
               int64_t dst_offset, Slab block) {
  // One 2-D copy: block.outer rows of block.n * block.inner contiguous elements each.
  const size_t e = dtype_size(src.dtype());
  const size_t width = block.n * block.inner * e;
  if (width == 0 || block.outer == 0) return;
  RCNN_CUDA_CHECK(cudaMemcpy2D(static_cast<char*>(dst.raw()) + dst_offset * block.inner * e, dst_n * block.inner * e,
                               static_cast<const char*>(src.raw()) + src_offset * block.inner * e,
                               src_n * block.inner * e, width, block.outer, cudaMemcpyDeviceToDevice));
}

}  // namespace rcnn::cuda
