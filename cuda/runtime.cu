// The CUDA runtime: device queries, the caching allocator and copies.
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

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

// Blocks are rounded up to 512 bytes and kept, per device and size, when freed; a request takes a
// cached block of exactly its rounded size when there is one. On out-of-memory the cache is
// returned to the driver and the allocation tried once more.
struct CachingAllocator {
  std::mutex mutex;
  std::map<std::pair<int, size_t>, std::vector<void*>> free_blocks;
  std::unordered_map<void*, size_t> block_size;
  size_t cached = 0;

  static size_t round_up(size_t bytes) { return (bytes + 511) / 512 * 512; }

  void* allocate(size_t bytes, int device) {
    const size_t size = round_up(bytes > 0 ? bytes : 1);
    std::lock_guard<std::mutex> lock(mutex);
    auto& list = free_blocks[{device, size}];
    if (!list.empty()) {
      void* p = list.back();
      list.pop_back();
      cached -= size;
      return p;
    }
    RCNN_CUDA_CHECK(cudaSetDevice(device));
    void* p = nullptr;
    if (cudaMalloc(&p, size) != cudaSuccess) {
      cudaGetLastError();
      release_cache();
      RCNN_CUDA_CHECK(cudaMalloc(&p, size));
    }
    block_size[p] = size;
    return p;
  }

  void release(void* p, int device) {
    std::lock_guard<std::mutex> lock(mutex);
    size_t size = block_size.at(p);
    free_blocks[{device, size}].push_back(p);
    cached += size;
  }

  void release_cache() {  // mutex held by the caller
    for (auto& [key, list] : free_blocks) {
      for (void* p : list) {
        cudaFree(p);
        block_size.erase(p);
      }
      list.clear();
    }
    cached = 0;
  }
};

CachingAllocator& allocator() {
  static auto* a = new CachingAllocator();  // never destroyed: tensors may outlive static teardown
  return *a;
}

}  // namespace

void* allocate(size_t bytes, int device) {
  check(device >= 0 && device < device_count(), "cuda: no CUDA device ", device, " (", device_count(),
        " present)");
  return allocator().allocate(bytes, device);
}
void release(void* ptr, int device) { allocator().release(ptr, device); }
size_t cached_bytes() { return allocator().cached; }
void empty_cache() {
  std::lock_guard<std::mutex> lock(allocator().mutex);
  allocator().release_cache();
}

void copy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  cudaMemcpyKind kind = dst_device.is_cuda() ? (src_device.is_cuda() ? cudaMemcpyDeviceToDevice
                                                                     : cudaMemcpyHostToDevice)
                                             : cudaMemcpyDeviceToHost;
  RCNN_CUDA_CHECK(cudaMemcpy(dst, src, bytes, kind));
}

void synchronize() { RCNN_CUDA_CHECK(cudaDeviceSynchronize()); }

}  // namespace rcnn::cuda
