#pragma once
// The CUDA runtime as the rest of rcnn.cpp sees it: plain C++, no CUDA headers, so that the CPU
// build compiles against the stubs in cuda/stubs.cpp ("built without CUDA support").
#include <cstddef>
#include <string>

#include "core/device.h"

namespace rcnn::cuda {

bool built_with_cuda();
int device_count();  // 0 without CUDA support, without a driver or without a GPU
inline bool available() { return device_count() > 0; }
std::string device_name(int device);

// The caching allocator: freed blocks are kept per size and handed out again, so an op does
// not pay for cudaMalloc/cudaFree each time it runs.
void* allocate(size_t bytes, int device);
void release(void* ptr, int device);
size_t cached_bytes();
void empty_cache();

void copy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);
void synchronize();

}  // namespace rcnn::cuda
