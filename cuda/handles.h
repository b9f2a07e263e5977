#pragma once
// Library handles, made once per process on first use.
#include <cublas_v2.h>

namespace rcnn::cuda {

cublasHandle_t cublas_handle();

}  // namespace rcnn::cuda
