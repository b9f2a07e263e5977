#pragma once
// A block of memory on one device. Tensors share a Storage through shared_ptr; a reshape makes a
// new tensor over the same Storage, everything else that changes layout copies.
#include <cstddef>
#include <memory>

#include "core/device.h"

namespace rcnn {

class Storage {
 public:
  Storage(size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  Device device_;
};

// Host memory of tensors: what live tensors hold, the most they held since the last reset_host_peak(),
// and what freed tensors left cached for reuse (core/block_cache.h). In size classes, so a little
// above the tensors' own bytes; the process's resident set adds the program and its libraries.
struct HostMemory {
  size_t in_use = 0;
  size_t peak_in_use = 0;
  size_t cached = 0;
};
HostMemory host_memory();
void reset_host_peak();
size_t host_cached_bytes();
// Gives the cached host blocks back to the system: after building a large model, whose initialisation's
// temporaries would otherwise stay cached (and resident) without a tensor of their size to serve.
void release_host_cache();

// Copies bytes between any two devices (host<->device, device<->device, host<->host).
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);

}  // namespace rcnn
