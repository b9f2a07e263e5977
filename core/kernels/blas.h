#pragma once
// Row-major GEMM on raw pointers for float and double, the one wrapper around the BLAS libraries:
// C (M, N) = alpha op(A) op(B) + beta C.
// float32 (everything but gradient checks) goes through oneDNN's sgemm: it picks its kernels from the
// CPU's features (AVX2, AVX-512, AMX), where Debian's OpenBLAS 0.3.21 picks them from a table of CPU
// models and falls back to SSE3 kernels, 6x slower, on models newer than its table. It also runs on
// the same OpenMP threads as our kernels, so no second pool spins beside ours. float64 stays with
// OpenBLAS (the OpenMP build, linked explicitly in the Makefile, for the same reason).
#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>

#include <cstdint>
#include <string>

#include "core/error.h"

namespace rcnn::cpu {

inline void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                 const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  const dnnl_status_t status =
      dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  check(status == dnnl_success, "gemm: oneDNN's sgemm failed (status ", static_cast<int>(status), ") for M ", M,
        ", N ", N, ", K ", K);
}

inline void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const double* A,
                 int64_t lda, const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha,
              A, lda, B, ldb, beta, C, ldc);
}

// Which kernels the GEMMs run on this CPU, for benchmarks to print: a slow path must be visible.
inline std::string gemm_kernels() {
  const char* isa = "unknown";
  switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41: isa = "SSE4.1"; break;
    case dnnl_cpu_isa_avx: isa = "AVX"; break;
    case dnnl_cpu_isa_avx2: isa = "AVX2"; break;
    case dnnl_cpu_isa_avx2_vnni: isa = "AVX2-VNNI"; break;
    case dnnl_cpu_isa_avx512_core: isa = "AVX-512"; break;
    case dnnl_cpu_isa_avx512_core_vnni: isa = "AVX-512 VNNI"; break;
    case dnnl_cpu_isa_avx512_core_bf16: isa = "AVX-512 BF16"; break;
    case dnnl_cpu_isa_avx512_core_amx: isa = "AVX-512 AMX"; break;
    default: break;
  }
  return std::string("float32: oneDNN sgemm, ") + isa + " kernels; float64: OpenBLAS, " + openblas_get_corename() +
         " kernels";
}

}  // namespace rcnn::cpu
