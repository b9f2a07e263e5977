// CPU kernels that move elements without changing them: permute and slab copies.
#include <cstring>

#include "core/kernels.h"
#include "core/kernels/parallel.h"

namespace rcnn::cpu {

void permute(const Tensor& x, const std::vector<int64_t>& dims, const Tensor& out) {
  const int64_t nd = x.dim();
  std::vector<int64_t> in_stride(nd, 1), stride(nd);  // stride[d]: x's stride of out's dim d
  for (int64_t d = nd - 2; d >= 0; --d) in_stride[d] = in_stride[d + 1] * x.shape()[d + 1];
  for (int64_t d = 0; d < nd; ++d) stride[d] = in_stride[dims[d]];
  const Shape& oshape = out.shape();
  RCNN_DISPATCH(x.dtype(), T, {
    const T* in = x.data<T>();
    T* o = out.data<T>();
    parallel_for(out.numel(), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        int64_t rest = i, off = 0;
        for (int64_t d = nd - 1; d >= 0; --d) {
          off += (rest % oshape[d]) * stride[d];
          rest /= oshape[d];
        }
        o[i] = in[off];
      }
    });
  });
}

void copy_slab(const Tensor& src, int64_t src_n, int64_t src_offset, const Tensor& dst, int64_t dst_n,
               int64_t dst_offset, Slab block) {
  const size_t esize = dtype_size(src.dtype());
  const size_t row_bytes = block.n * block.inner * esize;  // one outer step is a contiguous run
  const char* s = static_cast<const char*>(src.raw()) + src_offset * block.inner * esize;
  char* d = static_cast<char*>(dst.raw()) + dst_offset * block.inner * esize;
  parallel_for(
      block.outer,
      [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; ++o)
          std::memcpy(d + o * dst_n * block.inner * esize, s + o * src_n * block.inner * esize, row_bytes);
      },
      std::max<int64_t>(1, kGrain / std::max<int64_t>(1, block.n * block.inner)));
}

}  // namespace rcnn::cpu
