// CUDA twin of core/kernels/matmul.cpp through cuBLAS. cuBLAS is column-major: a row-major C = A B
// is the column-major C^T = B^T A^T, so the operands are passed swapped, without copies.
#include "core/kernels.h"
#include "cuda/check.h"
#include "cuda/handles.h"

namespace rcnn::cuda {

void matmul(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, const Tensor& out) {
  const int batch = out.dim() == 3 ? static_cast<int>(out.shape()[0]) : 1;
  const int M = static_cast<int>(out.shape()[out.dim() - 2]), N = static_cast<int>(out.shape()[out.dim() - 1]);
  const int K = static_cast<int>(trans_a ? a.shape()[a.dim() - 2] : a.shape()[a.dim() - 1]);
  const int lda = static_cast<int>(a.shape()[a.dim() - 1]), ldb = static_cast<int>(b.shape()[b.dim() - 1]);
  const long long step_a = a.dim() == 3 && a.shape()[0] > 1 ? a.shape()[1] * a.shape()[2] : 0;
  const long long step_b = b.dim() == 3 && b.shape()[0] > 1 ? b.shape()[1] * b.shape()[2] : 0;
  const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  if (a.dtype() == kFloat32) {
    const float one = 1, zero = 0;
    RCNN_CUBLAS_CHECK(cublasSgemmStridedBatched(cublas_handle(), op_b, op_a, N, M, K, &one, b.data<float>(), ldb,
                                                step_b, a.data<float>(), lda, step_a, &zero, out.data<float>(), N,
                                                static_cast<long long>(M) * N, batch));
  } else {
    const double one = 1, zero = 0;
    RCNN_CUBLAS_CHECK(cublasDgemmStridedBatched(cublas_handle(), op_b, op_a, N, M, K, &one, b.data<double>(), ldb,
                                                step_b, a.data<double>(), lda, step_a, &zero, out.data<double>(), N,
                                                static_cast<long long>(M) * N, batch));
  }
}

}  // namespace rcnn::cuda
