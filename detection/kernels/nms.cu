// CUDA twin of nms.cpp, the bitmask scheme of the well-known GPU NMS (py-faster-rcnn, torchvision):
// a grid of 64 x 64 tiles, one thread per box i of a tile's rows, writes a 64-bit word whose bit j says
// "box i suppresses box j" for the 64 later boxes of the tile's columns. The greedy pass over the
// words is sequential, so it runs on the host after one copy of the mask, as in those implementations.
#include <vector>

#include "cuda/check.h"
#include "cuda/runtime.h"
#include "detection/kernels/kernels.h"

namespace rcnn::cuda {

namespace {

constexpr int kTile = 64;  // bits in a word

template <class T>
__global__ void nms_mask_kernel(const T* boxes, int64_t n, double iou_threshold, uint64_t* mask) {
  const int64_t row_tile = blockIdx.y, col_tile = blockIdx.x;
  if (row_tile > col_tile) return;  // only later boxes can be suppressed
  const int64_t cols = min(n - col_tile * kTile, int64_t(kTile));
  __shared__ T tile[kTile * 4];
  if (threadIdx.x < cols)
    for (int k = 0; k < 4; ++k) tile[threadIdx.x * 4 + k] = boxes[(col_tile * kTile + threadIdx.x) * 4 + k];
  __syncthreads();
  const int64_t i = row_tile * kTile + threadIdx.x;
  if (i >= n) return;
  const T* a = boxes + i * 4;
  const T area_a = (a[2] - a[0]) * (a[3] - a[1]);
  uint64_t bits = 0;
  for (int64_t j = row_tile == col_tile ? threadIdx.x + 1 : 0; j < cols; ++j) {
    const T* b = tile + j * 4;
    const T area_b = (b[2] - b[0]) * (b[3] - b[1]);
    if (box_pair_iou(a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3], area_a, area_b) > iou_threshold)
      bits |= uint64_t(1) << j;
  }
  mask[i * gridDim.x + col_tile] = bits;
}

}  // namespace

void nms_keep(const Tensor& boxes, double iou_threshold, const Tensor& keep) {
  const int64_t n = boxes.shape()[0];
  if (n == 0) return;
  const int64_t tiles = (n + kTile - 1) / kTile;
  int device = 0;
  RCNN_CUDA_CHECK(cudaGetDevice(&device));
  const size_t bytes = n * tiles * sizeof(uint64_t);
  void* mask = allocate(bytes, device);
  RCNN_FLOAT_DISPATCH(boxes.dtype(), T, {
    nms_mask_kernel<<<dim3(tiles, tiles), kTile>>>(boxes.data<T>(), n, iou_threshold, static_cast<uint64_t*>(mask));
  });
  RCNN_CUDA_CHECK_LAUNCH();
  std::vector<uint64_t> host(n * tiles);
  RCNN_CUDA_CHECK(cudaMemcpy(host.data(), mask, bytes, cudaMemcpyDeviceToHost));
  release(mask, device);
  std::vector<uint64_t> removed(tiles, 0);
  std::vector<int64_t> kept(n, 0);
  for (int64_t i = 0; i < n; ++i) {
    if (removed[i / kTile] & (uint64_t(1) << (i % kTile))) continue;
    kept[i] = 1;
    for (int64_t t = i / kTile; t < tiles; ++t) removed[t] |= host[i * tiles + t];
  }
  RCNN_CUDA_CHECK(cudaMemcpy(keep.raw(), kept.data(), n * sizeof(int64_t), cudaMemcpyHostToDevice));
}

}  // namespace rcnn::cuda
