#pragma once
// A caching allocator, shared by host memory (core/storage.cpp) and each GPU (cuda/runtime.cu): freed
// blocks are kept by size class and handed out again, so a training step that allocates the same
// tensors as the last one neither calls the system allocator nor touches fresh pages. Sizes are
// rounded up to a size class (at most 1/32 larger), and a request takes the smallest cached block of
// up to twice its class, so similar sizes share blocks. When the raw allocation fails, the cache is
// returned and the allocation tried once more.
//
// How much it keeps is the policy: a GPU keeps every freed block until memory runs out (as PyTorch's
// CUDA allocator does: cudaFree waits for the device). The host keeps no more than the program has
// shown it needs: live and cached blocks together stay within the most that was ever live at once.
// A miss that would pass it first returns cached blocks of 1 MiB or more (make_room). Images of
// varying sizes otherwise leave the cache holding blocks of sizes no longer asked for, and the
// resident memory of a fine-tuning run grew 300-700 MiB above what its tensors ever needed.
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
  using RawFree = std::function<void(void*, size_t)>;
  enum class Keep { Everything, UpToPeakInUse };
  // smallest_returned: with UpToPeakInUse, blocks below it are never given back to make room (the
  // host's come from malloc, which would keep them resident anyway).
  BlockCache(RawAllocate allocate, RawFree free, Keep keep, size_t smallest_returned = 0);

  void* allocate(size_t bytes);  // throws when even an empty cache does not make room
  void release(void* ptr);
  void empty();
  static size_t size_class(size_t bytes);

  // In size classes: what live blocks hold, the most they held since reset_peak(), what is cached.
  size_t bytes_in_use() const;
  size_t peak_bytes_in_use() const;
  size_t cached_bytes() const;
  void reset_peak();

 private:
  void* take_cached(size_t size);
  void make_room(size_t bytes);
  void free_block(std::map<size_t, std::vector<void*>>::iterator same_size);  // its most recent block
  void empty_locked();

  RawAllocate raw_allocate_;
  RawFree raw_free_;
  Keep keep_;
  size_t smallest_returned_;
  mutable std::mutex mutex_;
  std::map<size_t, std::vector<void*>> free_;  // size class -> cached blocks, most recently freed last
  std::unordered_map<void*, size_t> size_of_;  // every live or cached block -> its size class
  size_t cached_ = 0;
  size_t in_use_ = 0;
  size_t peak_in_use_ = 0;  // since reset_peak()
  size_t most_in_use_ = 0;  // ever: the host's bound
};

}  // namespace rcnn
