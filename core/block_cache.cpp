#include "core/block_cache.h"

#include <new>

#include "core/error.h"

namespace rcnn {

BlockCache::BlockCache(RawAllocate allocate, RawFree free, size_t max_cached_bytes)
    : raw_allocate_(std::move(allocate)), raw_free_(std::move(free)), max_cached_(max_cached_bytes) {}

size_t BlockCache::size_class(size_t bytes) {
  if (bytes <= 512) return 512;
  if (bytes <= (size_t(1) << 20)) return (bytes + 511) / 512 * 512;
  size_t step = size_t(1) << 17;  // above 1 MiB: steps of 1/8 of the power of two below
  while (step * 16 <= bytes) step <<= 1;
  return (bytes + step - 1) / step * step;
}

void* BlockCache::allocate(size_t bytes) {
  const size_t size = size_class(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  // The smallest cached block of this size class or up to twice it: images of varying sizes then reuse
  // each other's blocks instead of each size keeping its own (a detector fine-tuned on photographs of
  // every shape grew its cache by a gigabyte that way).
  for (auto it = free_.lower_bound(size); it != free_.end() && it->first <= 2 * size; ++it) {
    if (it->second.empty()) continue;
    void* p = it->second.back();
    it->second.pop_back();
    cached_ -= it->first;
    return p;
  }
  void* p = raw_allocate_(size);
  if (!p) {
    empty_locked();
    p = raw_allocate_(size);
  }
  if (!p) throw std::bad_alloc();
  size_of_[p] = size;
  return p;
}

void BlockCache::release(void* ptr) {
  if (!ptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = size_of_.find(ptr);
  check(it != size_of_.end(), "BlockCache::release: a pointer this cache did not allocate");
  const size_t size = it->second;
  if (cached_ + size > max_cached_) {
    size_of_.erase(it);
    raw_free_(ptr);
    return;
  }
  free_[size].push_back(ptr);
  cached_ += size;
}

void BlockCache::empty() {
  std::lock_guard<std::mutex> lock(mutex_);
  empty_locked();
}

void BlockCache::empty_locked() {
  for (auto& [size, blocks] : free_) {
    for (void* p : blocks) {
      size_of_.erase(p);
      raw_free_(p);
    }
  }
  free_.clear();
  cached_ = 0;
}

}  // namespace rcnn
