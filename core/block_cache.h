#pragma once
// A caching allocator, shared by host memory (core/storage.cpp) and each GPU (cuda/runtime.cu): freed
// blocks are kept by size class and handed out again, so a training step that allocates the same
// tensors as the last one neither calls the system allocator nor touches fresh pages. Sizes are
// rounded up to a size class (at most 1/8 larger), and a request takes the smallest cached block of
// up to twice its class, so similar sizes share blocks. When the raw
// allocation fails, the cache is returned and the allocation tried once more.
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace rcnn {

class BlockCache {
 public:
  using RawAllocate = std::function<void*(size_t)>;  // nullptr on failure
  using RawFree = std::function<void(void*)>;
  BlockCache(RawAllocate allocate, RawFree free, size_t max_cached_bytes);

  void* allocate(size_t bytes);  // throws when even an empty cache does not make room
  void release(void* ptr);
  void empty();
  size_t cached_bytes() const { return cached_; }
  static size_t size_class(size_t bytes);

 private:
  void empty_locked();
  RawAllocate raw_allocate_;
  RawFree raw_free_;
  size_t max_cached_;
  std::mutex mutex_;
  std::map<size_t, std::vector<void*>> free_;  // size class -> cached blocks
  std::unordered_map<void*, size_t> size_of_;  // every live or cached block -> its size class
  size_t cached_ = 0;
};

}  // namespace rcnn
