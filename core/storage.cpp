#include "core/storage.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "core/block_cache.h"
#include "cuda/runtime.h"

namespace rcnn {

namespace {
// Host memory: 64-byte aligned (AVX-512 loads, BLAS), cached up to 4 GiB.
BlockCache& host_cache() {
  static auto* cache = new BlockCache([](size_t n) { return std::aligned_alloc(64, (n + 63) / 64 * 64); },
                                      [](void* p) { std::free(p); }, size_t(4) << 30);
  return *cache;  // never destroyed: tensors may outlive static destruction
}
}  // namespace

size_t host_cached_bytes() { return host_cache().cached_bytes(); }
void release_host_cache() { host_cache().empty(); }

Storage::Storage(size_t bytes, Device device) : bytes_(bytes), device_(device) {
  if (device.is_cuda()) {
    data_ = cuda::allocate(bytes, device.index);
  } else {
    data_ = host_cache().allocate(bytes);
  }
}

Storage::~Storage() {
  if (device_.is_cuda())
    cuda::release(data_, device_.index);
  else
    host_cache().release(data_);
}

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (bytes == 0) return;
  if (!dst_device.is_cuda() && !src_device.is_cuda())
    std::memcpy(dst, src, bytes);
  else
    cuda::copy(dst, dst_device, src, src_device, bytes);
}

}  // namespace rcnn
