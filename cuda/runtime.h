#pragma once
// The CUDA runtime as the rest of rcnn.cpp sees it: plain C++, no CUDA headers, so that the CPU
// build compiles against the stubs in cuda/stubs.cpp ("built without CUDA support").
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/device.h"

namespace rcnn::cuda {

bool built_with_cuda();
// In a build without CUDA: throws the error that says so (the kernels' stubs call it).
[[noreturn]] void no_cuda();
int device_count();  // 0 without CUDA support, without a driver or without a GPU
inline bool available() { return device_count() > 0; }
std::string device_name(int device);

// The caching allocator: freed blocks are kept per size and handed out again, so an op does
// not pay for cudaMalloc/cudaFree each time it runs.
void* allocate(size_t bytes, int device);
void release(void* ptr, int device);
size_t cached_bytes();
void empty_cache();
// Device memory that live tensors hold (in the allocator's size classes), and the most they held
// since reset_peak_memory(): the counterpart of torch.cuda.max_memory_allocated.
size_t bytes_in_use();
size_t peak_bytes_in_use();
void reset_peak_memory();

// Kernels, and copies to the device, are queued on one stream and return at once: the host runs ahead
// of the GPU. A copy to the host and synchronize() wait for the device to catch up; host_waits()
// counts them (a training step's count is what keeps the GPU busy or idle).
void copy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);
void synchronize();
int64_t host_waits();

}  // namespace rcnn::cuda
