#pragma once
// Broadcast indexing shared by the CPU and CUDA elementwise kernels: for each element of the output,
// the offset of the element each input contributes. Dims that are contiguous in every operand are
// merged first, so the common same-shape case becomes a single flat loop.
#include <cstdint>
#include <vector>

#include "core/shape.h"

#ifdef __CUDACC__
#define RCNN_HOST_DEVICE __host__ __device__
#else
#define RCNN_HOST_DEVICE
#endif

namespace rcnn {

struct BroadcastIndexer {
  static constexpr int kMaxDims = 8;
  static constexpr int kMaxInputs = 3;
  int ndim = 0;
  int64_t size[kMaxDims];
  int64_t stride[kMaxInputs][kMaxDims];  // in elements; 0 along a broadcast dim

  // Offsets of output element `linear` in each input.
  RCNN_HOST_DEVICE void offsets(int64_t linear, int64_t* off, int ninputs) const {
    for (int k = 0; k < ninputs; ++k) off[k] = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      int64_t coord = linear % size[d];
      linear /= size[d];
      for (int k = 0; k < ninputs; ++k) off[k] += coord * stride[k][d];
    }
  }
};

BroadcastIndexer make_broadcast(const Shape& out, const std::vector<Shape>& inputs);

}  // namespace rcnn
