#pragma once
// Error checks for CUDA, cuBLAS and cuDNN calls: the message names the call, the file and the line.
#include <cuda_runtime.h>

#include "core/error.h"

#define RCNN_CUDA_CHECK(call)                                                                     \
  do {                                                                                            \
    cudaError_t err_ = (call);                                                                    \
    ::rcnn::check(err_ == cudaSuccess, "CUDA error '", cudaGetErrorString(err_), "' in ", #call, \
                  " at ", __FILE__, ":", __LINE__);                                               \
  } while (0)

// After a kernel launch: reports a bad launch configuration at the launch site.
#define RCNN_CUDA_CHECK_LAUNCH() RCNN_CUDA_CHECK(cudaGetLastError())

#define RCNN_CUBLAS_CHECK(call)                                                                       \
  do {                                                                                                \
    cublasStatus_t st_ = (call);                                                                      \
    ::rcnn::check(st_ == CUBLAS_STATUS_SUCCESS, "cuBLAS error ", static_cast<int>(st_), " in ", #call, \
                  " at ", __FILE__, ":", __LINE__);                                                   \
  } while (0)

namespace rcnn::cuda {

constexpr int kThreads = 256;
// Blocks for a grid-stride loop over n elements.
inline unsigned blocks_for(int64_t n) {
  int64_t b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 65535 ? (b > 0 ? b : 1) : 65535);
}

}  // namespace rcnn::cuda

#define RCNN_GRID_STRIDE_LOOP(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(blockDim.x) * gridDim.x)
