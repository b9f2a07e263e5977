// The detection kernels' CUDA side in a build without CUDA (make without CUDA=1): each raises the error
// of cuda/stubs.cpp, generated from this room's kernel list.
#include "cuda/runtime.h"
#include "detection/kernels/kernels.h"

namespace rcnn::cuda {

#pragma GCC diagnostic ignored "-Wunused-parameter"
#define RCNN_KERNEL_DECLARE(name, parameters) \
  void name parameters { no_cuda(); }
#include "detection/kernels/kernel_list.inc"
#undef RCNN_KERNEL_DECLARE

}  // namespace rcnn::cuda
