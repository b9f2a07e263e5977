// The CUDA side of a build without CUDA (make without CUDA=1): no devices, and every kernel raises
// a clear error. Only reachable by moving a tensor to a GPU, which already fails in allocate().
#include "core/kernels.h"
#include "cuda/runtime.h"

namespace rcnn::cuda {

[[noreturn]] static void no_cuda() {
  throw Error("rcnn.cpp was built without CUDA support: rebuild with `make CUDA=1`");
}

bool built_with_cuda() { return false; }
int device_count() { return 0; }
std::string device_name(int) { no_cuda(); }
void* allocate(size_t, int) { no_cuda(); }
void release(void*, int) { no_cuda(); }
size_t cached_bytes() { return 0; }
void empty_cache() {}
void copy(void*, Device, const void*, Device, size_t) { no_cuda(); }
void synchronize() {}

void fill(const Tensor&, double) { no_cuda(); }
void cast(const Tensor&, const Tensor&) { no_cuda(); }
void unary(UnaryOp, const Tensor&, const Tensor&, double, double) { no_cuda(); }
void binary(BinaryOp, const Tensor&, const Tensor&, const Tensor&) { no_cuda(); }
void where(const Tensor&, const Tensor&, const Tensor&, const Tensor&) { no_cuda(); }
void sum_dim(const Tensor&, Slab, const Tensor&) { no_cuda(); }
void argmax_dim(const Tensor&, Slab, const Tensor&) { no_cuda(); }
void permute(const Tensor&, const std::vector<int64_t>&, const Tensor&) { no_cuda(); }
void copy_slab(const Tensor&, int64_t, int64_t, const Tensor&, int64_t, int64_t, Slab) { no_cuda(); }
void gather(IndexMode, const Tensor&, Slab, const Tensor&, const Tensor&) { no_cuda(); }
void scatter_add(IndexMode, const Tensor&, const Tensor&, Slab, const Tensor&) { no_cuda(); }
void sort_rows(const Tensor&, Slab, bool, const Tensor&) { no_cuda(); }
void matmul(const Tensor&, bool, const Tensor&, bool, const Tensor&) { no_cuda(); }
void conv2d_forward(const Tensor&, const Tensor&, const Tensor&, const Conv2dGeometry&, const Tensor&) { no_cuda(); }
void conv2d_backward_input(const Tensor&, const Tensor&, const Conv2dGeometry&, const Tensor&) { no_cuda(); }
void conv2d_backward_weight(const Tensor&, const Tensor&, const Conv2dGeometry&, const Tensor&, const Tensor&) {
  no_cuda();
}
void max_pool2d_forward(const Tensor&, const Pool2dGeometry&, const Tensor&) { no_cuda(); }
void max_pool2d_backward(const Tensor&, const Tensor&, const Pool2dGeometry&, const Tensor&) { no_cuda(); }

}  // namespace rcnn::cuda
