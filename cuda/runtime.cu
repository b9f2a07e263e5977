// The CUDA runtime: device queries, the caching allocator and copies.
#include <atomic>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include "core/block_cache.h"

#include "cuda/check.h"
#include "cuda/runtime.h"

namespace rcnn::cuda {

bool built_with_cuda() { return true; }

int device_count() {
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();  // clear the sticky "no driver" error
      return 0;
    }
    return n;
  }();
  return count;
}

std::string device_name(int device) {
  cudaDeviceProp prop;
  RCNN_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  return prop.name;
}

namespace {

// One cache of device blocks per GPU (core/block_cache.h): no cudaMalloc/cudaFree per op, and on
// out-of-memory the cached blocks go back to the driver before the allocation is tried again.
BlockCache& device_cache(int device) {
  static std::mutex mutex;
  static auto* caches = new std::vector<std::unique_ptr<BlockCache>>();  // never destroyed (see host_cache)
  std::lock_guard<std::mutex> lock(mutex);
  if (caches->empty()) caches->resize(device_count());
  auto& cache = (*caches)[device];
  if (!cache)
    cache = std::make_unique<BlockCache>(
        [device](size_t n) -> void* {
          void* p = nullptr;
          RCNN_CUDA_CHECK(cudaSetDevice(device));
          if (cudaMalloc(&p, n) != cudaSuccess) {
            cudaGetLastError();  // clear the error: the cache frees its blocks and tries again
            return nullptr;
          }
          return p;
        },
        [](void* p, size_t) { cudaFree(p); }, BlockCache::Keep::Everything);
  return *cache;
}

}  // namespace

void* allocate(size_t bytes, int device) {
  check(device >= 0 && device < device_count(), "cuda: no CUDA device ", device, " (", device_count(),
        " present)");
  try {
    return device_cache(device).allocate(bytes);
  } catch (const std::bad_alloc&) {
    throw Error(concat_message("cuda: out of memory allocating ", bytes, " bytes on device ", device));
  }
}
void release(void* ptr, int device) { device_cache(device).release(ptr); }
namespace {
// One figure of every GPU's cache, summed.
size_t sum_over_devices(size_t (BlockCache::*figure)() const) {
  size_t total = 0;
  for (int d = 0; d < device_count(); ++d) total += (device_cache(d).*figure)();
  return total;
}
}  // namespace

size_t cached_bytes() { return sum_over_devices(&BlockCache::cached_bytes); }
size_t bytes_in_use() { return sum_over_devices(&BlockCache::bytes_in_use); }
size_t peak_bytes_in_use() { return sum_over_devices(&BlockCache::peak_bytes_in_use); }
void empty_cache() {
  for (int d = 0; d < device_count(); ++d) device_cache(d).empty();
}
void reset_peak_memory() {
  for (int d = 0; d < device_count(); ++d) device_cache(d).reset_peak();
}

namespace {
std::atomic<int64_t> waits{0};
}  // namespace

int64_t host_waits() { return waits.load(); }

// To the device and within it, the copy is queued behind the kernels before it, like a kernel:
// cudaMemcpyAsync from pageable host memory stages the bytes and returns without waiting for the
// device (CUDA's "API synchronization behavior"), so the host buffer may go at once. cudaMemcpy would
// wait for every queued kernel first. To the host, the copy must wait: the caller reads the bytes next.
void copy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (dst_device.is_cuda()) {
    const cudaMemcpyKind kind = src_device.is_cuda() ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice;
    RCNN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, /*stream=*/0));
    return;
  }
  ++waits;
  RCNN_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
}

void synchronize() {
  ++waits;
  RCNN_CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace rcnn::cuda
