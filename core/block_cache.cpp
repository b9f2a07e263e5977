#include "core/block_cache.h"

#include <algorithm>
#include <iterator>
#include <new>

#include "core/error.h"

namespace rcnn {

BlockCache::BlockCache(RawAllocate allocate, RawFree free, Keep keep, size_t smallest_returned)
    : raw_allocate_(std::move(allocate)), raw_free_(std::move(free)), keep_(keep), smallest_returned_(smallest_returned) {}

size_t BlockCache::size_class(size_t bytes) {
  if (bytes <= 512) return 512;
  if (bytes <= (size_t(1) << 20)) return (bytes + 511) / 512 * 512;
  size_t step = size_t(1) << 15;  // above 1 MiB: steps of 1/32 of the power of two below
  while (step * 64 <= bytes) step <<= 1;
  return (bytes + step - 1) / step * step;
}

void* BlockCache::allocate(size_t bytes) {
  const size_t size = size_class(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  void* p = take_cached(size);
  if (!p) {
    most_in_use_ = std::max(most_in_use_, in_use_ + size);
    const size_t total = in_use_ + cached_ + size;
    if (keep_ == Keep::UpToPeakInUse && total > most_in_use_) make_room(total - most_in_use_);
    p = raw_allocate_(size);
    if (!p) {
      empty_locked();
      p = raw_allocate_(size);
    }
    if (!p) throw std::bad_alloc();
    size_of_[p] = size;
  }
  in_use_ += size_of_[p];
  peak_in_use_ = std::max(peak_in_use_, in_use_);
  most_in_use_ = std::max(most_in_use_, in_use_);
  return p;
}

// The smallest cached block of this size class or up to twice it, the most recently freed of its
// class: images of varying sizes then reuse each other's blocks instead of each size keeping its own.
void* BlockCache::take_cached(size_t size) {
  auto it = free_.lower_bound(size);
  if (it == free_.end() || it->first > 2 * size) return nullptr;
  void* p = it->second.back();
  it->second.pop_back();
  if (it->second.empty()) free_.erase(it);
  cached_ -= size_of_[p];
  return p;
}

// Returns cached blocks until `bytes` are freed: the smallest block that covers what is left, or else
// the largest. Few blocks go, and the large ones a step reuses (fc6's gradient) stay while small ones
// of sizes the last image needed can cover it. Blocks below smallest_returned stay: malloc would keep
// them resident anyway.
void BlockCache::make_room(size_t bytes) {
  while (bytes > 0 && !free_.empty() && free_.rbegin()->first >= smallest_returned_) {
    auto it = free_.lower_bound(std::max(bytes, smallest_returned_));
    if (it == free_.end()) it = std::prev(free_.end());
    bytes -= std::min(bytes, it->first);
    free_block(it);
  }
}

void BlockCache::free_block(std::map<size_t, std::vector<void*>>::iterator same_size) {
  void* p = same_size->second.back();
  const size_t size = same_size->first;
  same_size->second.pop_back();
  if (same_size->second.empty()) free_.erase(same_size);
  size_of_.erase(p);
  cached_ -= size;
  raw_free_(p, size);
}

void BlockCache::release(void* ptr) {
  if (!ptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = size_of_.find(ptr);
  check(it != size_of_.end(), "BlockCache::release: a pointer this cache did not allocate");
  in_use_ -= it->second;
  cached_ += it->second;
  free_[it->second].push_back(ptr);
}

void BlockCache::empty() {
  std::lock_guard<std::mutex> lock(mutex_);
  empty_locked();
}

void BlockCache::empty_locked() {
  while (!free_.empty()) free_block(free_.begin());
}

size_t BlockCache::bytes_in_use() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return in_use_;
}
size_t BlockCache::peak_bytes_in_use() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return peak_in_use_;
}
size_t BlockCache::cached_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cached_;
}
void BlockCache::reset_peak() {
  std::lock_guard<std::mutex> lock(mutex_);
  peak_in_use_ = in_use_;
}

}  // namespace rcnn
