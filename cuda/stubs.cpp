// The CUDA side of a build without CUDA (make without CUDA=1): no devices, and every kernel of core's
// list raises a clear error; the stubs are generated from the list, never written by hand (each room
// with kernels of its own makes its stubs the same way: detection/kernels/cuda_stubs.cpp). Only
// reachable by moving a tensor to a GPU, which already fails in allocate().
#include "core/kernels.h"
#include "cuda/runtime.h"

namespace rcnn::cuda {

void no_cuda() { throw Error("rcnn.cpp was built without CUDA support: rebuild with `make CUDA=1`"); }

bool built_with_cuda() { return false; }
int device_count() { return 0; }
std::string device_name(int) { no_cuda(); }
void* allocate(size_t, int) { no_cuda(); }
void release(void*, int) { no_cuda(); }
size_t cached_bytes() { return 0; }
void empty_cache() {}
void copy(void*, Device, const void*, Device, size_t) { no_cuda(); }
void synchronize() {}
size_t bytes_in_use() { return 0; }
size_t peak_bytes_in_use() { return 0; }
void reset_peak_memory() {}
int64_t host_waits() { return 0; }

// Every kernel of core's list, each raising the same error.
#pragma GCC diagnostic ignored "-Wunused-parameter"
#define RCNN_KERNEL_DECLARE(name, parameters) \
  void name parameters { no_cuda(); }
#include "core/kernel_list.inc"
#undef RCNN_KERNEL_DECLARE

}  // namespace rcnn::cuda
