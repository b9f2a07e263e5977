#include "core/storage.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "cuda/runtime.h"

namespace rcnn {

Storage::Storage(size_t bytes, Device device) : bytes_(bytes), device_(device) {
  if (device.is_cuda()) {
    data_ = cuda::allocate(bytes, device.index);
  } else {
    // 64-byte alignment suits AVX-512 loads and BLAS; aligned_alloc needs a multiple of it.
    data_ = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    if (!data_) throw std::bad_alloc();
  }
}

Storage::~Storage() {
  if (device_.is_cuda())
    cuda::release(data_, device_.index);
  else
    std::free(data_);
}

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (bytes == 0) return;
  if (!dst_device.is_cuda() && !src_device.is_cuda())
    std::memcpy(dst, src, bytes);
  else
    cuda::copy(dst, dst_device, src, src_device, bytes);
}

}  // namespace rcnn
