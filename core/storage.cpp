#include "core/storage.h"

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <new>
#include <string>

#include <malloc.h>
#include <sys/mman.h>

#include "core/block_cache.h"
#include "cuda/runtime.h"

namespace rcnn {

namespace {
// Blocks of 1 MiB and more are mapped from the kernel directly, so that returning one really gives
// its pages back (glibc keeps freed heap memory resident, and raises its own mmap threshold as it
// sees large blocks freed), in transparent huge pages where the system allows: the host cache gives
// blocks back (block_cache.h), and a fresh 248 MiB gradient then faults in 124 times, not 63 000.
// Smaller blocks come from malloc, 64-byte aligned (AVX-512 loads, BLAS).
constexpr size_t kMapped = size_t(1) << 20;

void* allocate_host(size_t bytes) {
  if (bytes < kMapped) return std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}

void free_host(void* p, size_t bytes) {
  if (bytes < kMapped)
    std::free(p);
  else
    munmap(p, bytes);
}

BlockCache& host_cache() {
  static auto* cache = [] {
    // The same 1 MiB for what does not come through here (decoded photographs, oneDNN's GEMM packing):
    // glibc otherwise raises its threshold to the largest block freed so far (up to 32 MiB) and keeps
    // such blocks resident in its heaps, 34 MiB of a fine-tuning run's peak. A threshold the user set
    // (MALLOC_MMAP_THRESHOLD_) is kept.
    if (!std::getenv("MALLOC_MMAP_THRESHOLD_")) mallopt(M_MMAP_THRESHOLD, kMapped);
    // Keeping to the peak costs time where a step's phases need blocks of different sizes (TinyNet's
    // step: 57 ms instead of 49); RCNN_HOST_CACHE=all keeps every freed block, as the GPU does.
    const std::string keep = std::getenv("RCNN_HOST_CACHE") ? std::getenv("RCNN_HOST_CACHE") : "peak";
    const bool all = keep == "all";
    if (!all && keep != "peak")
      std::cerr << "warning: RCNN_HOST_CACHE=" << keep << " is neither 'all' nor 'peak'; keeping to the peak\n";
    return new BlockCache(allocate_host, free_host, all ? BlockCache::Keep::Everything : BlockCache::Keep::UpToPeakInUse,
                          kMapped);
  }();
  return *cache;  // never destroyed: tensors may outlive static destruction
}
}  // namespace

HostMemory host_memory() {
  const BlockCache& cache = host_cache();
  return {cache.bytes_in_use(), cache.peak_bytes_in_use(), cache.cached_bytes()};
}
void reset_host_peak() { host_cache().reset_peak(); }
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
