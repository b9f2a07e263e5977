#include "cuda/check.h"
#include "cuda/handles.h"

namespace rcnn::cuda {

cublasHandle_t cublas_handle() {
  static cublasHandle_t handle = [] {
    cublasHandle_t h;
    RCNN_CUBLAS_CHECK(cublasCreate(&h));
    return h;
  }();
  return handle;
}

cudnnHandle_t cudnn_handle() {
  static cudnnHandle_t handle = [] {
    cudnnHandle_t h;
    RCNN_CUDNN_CHECK(cudnnCreate(&h));
    return h;
  }();
  return handle;
}

}  // namespace rcnn::cuda
