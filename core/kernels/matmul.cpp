// CPU matrix multiply through OpenBLAS (float32, float64); batches loop over one GEMM each.
#include "core/kernels.h"
#include "core/kernels/blas.h"

namespace rcnn::cpu {

void matmul(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, const Tensor& out) {
  const int64_t batch = out.dim() == 3 ? out.shape()[0] : 1;
  const int64_t M = out.shape()[out.dim() - 2], N = out.shape()[out.dim() - 1];
  const int64_t K = trans_a ? a.shape()[a.dim() - 2] : a.shape()[a.dim() - 1];
  const int64_t lda = a.shape()[a.dim() - 1], ldb = b.shape()[b.dim() - 1];
  // A 2-D operand, or a batch of one, is shared by all batch elements.
  const int64_t step_a = a.dim() == 3 && a.shape()[0] > 1 ? a.shape()[1] * a.shape()[2] : 0;
  const int64_t step_b = b.dim() == 3 && b.shape()[0] > 1 ? b.shape()[1] * b.shape()[2] : 0;
  RCNN_FLOAT_DISPATCH(a.dtype(), T, {
    for (int64_t i = 0; i < batch; ++i)
      gemm(trans_a, trans_b, M, N, K, T(1), a.data<T>() + i * step_a, lda, b.data<T>() + i * step_b, ldb, T(0),
           out.data<T>() + i * M * N, N);
  });
}

}  // namespace rcnn::cpu
