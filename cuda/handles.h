#pragma once
// Library handles, made once per process on first use, and cuDNN's error check.
#include <cublas_v2.h>
#include <cudnn.h>

#include "core/error.h"

#define RCNN_CUDNN_CHECK(call)                                                                              \
  do {                                                                                                      \
    cudnnStatus_t st_ = (call);                                                                             \
    ::rcnn::check(st_ == CUDNN_STATUS_SUCCESS, "cuDNN error '", cudnnGetErrorString(st_), "' in ", #call, \
                  " at ", __FILE__, ":", __LINE__);                                                         \
  } while (0)

namespace rcnn::cuda {

cublasHandle_t cublas_handle();
cudnnHandle_t cudnn_handle();

}  // namespace rcnn::cuda
