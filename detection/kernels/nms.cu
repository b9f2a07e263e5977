// CUDA twin of nms.cpp, the bitmask scheme of the well-known GPU NMS (py-faster-rcnn, torchvision):
// a grid of 64 x 64 tiles, one thread per box i of a tile's rows, writes a 64-bit word whose bit j says
// "box i suppresses box j" for the 64 later boxes of the tile's columns. The greedy pass over the
// words is sequential; those implementations copy the mask to the host for it, which makes the host
// wait for the device. Here one block does it on the device, 64 boxes at a time: one thread settles
// the boxes of a tile among themselves (their words on the tile's own columns, in shared memory), then
// every thread adds the kept boxes' words to the later tiles' "removed" bits.
#include "cuda/check.h"
#include "cuda/thrust_policy.h"
#include "detection/kernels/kernels.h"

namespace rcnn::cuda {

namespace {

constexpr int kTile = 64;  // bits in a word
// The removed bits live in a block's shared memory: 48 KiB, less 1 KiB for the static arrays.
constexpr int64_t kMaxTiles = (48 * 1024 - 1024) / sizeof(uint64_t);

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

// The greedy pass, one block: mask (n, tiles) as nms_mask_kernel wrote it (the words left of a row's
// own tile are never read); keep[i] = 1 where box i survives.
__global__ void nms_keep_kernel(const uint64_t* mask, int64_t n, int64_t tiles, int64_t* keep) {
  extern __shared__ uint64_t removed[];  // (tiles): bit j of word t: box t 64 + j is suppressed
  __shared__ uint64_t own[kTile];        // the tile's boxes' words on its own columns
  __shared__ uint64_t kept_bits;
  for (int64_t t = threadIdx.x; t < tiles; t += blockDim.x) removed[t] = 0;
  for (int64_t tile = 0; tile < tiles; ++tile) {
    const int64_t first = tile * kTile;
    const int count = static_cast<int>(min(n - first, int64_t(kTile)));
    if (threadIdx.x < count) own[threadIdx.x] = mask[(first + threadIdx.x) * tiles + tile];
    __syncthreads();  // own and removed[tile] are complete
    if (threadIdx.x == 0) {
      uint64_t gone = removed[tile], kept = 0;
      for (int b = 0; b < count; ++b) {
        if (gone >> b & 1) continue;
        kept |= uint64_t(1) << b;
        gone |= own[b];
      }
      kept_bits = kept;
    }
    __syncthreads();
    const uint64_t kept = kept_bits;
    for (int64_t t = tile + 1 + threadIdx.x; t < tiles; t += blockDim.x) {
      uint64_t r = removed[t];
      for (uint64_t k = kept; k; k &= k - 1) r |= mask[(first + __ffsll(static_cast<long long>(k)) - 1) * tiles + t];
      removed[t] = r;
    }
    if (threadIdx.x < count) keep[first + threadIdx.x] = kept >> threadIdx.x & 1;
    __syncthreads();  // kept_bits and own are read before the next tile writes them
  }
}

}  // namespace

void nms_keep(const Tensor& boxes, double iou_threshold, const Tensor& keep) {
  const int64_t n = boxes.shape()[0];
  if (n == 0) return;
  const int64_t tiles = (n + kTile - 1) / kTile;
  check(tiles <= kMaxTiles, "nms: ", n, " boxes on the GPU; at most ", kMaxTiles * kTile, " at once");
  CachedTemporaries temporaries;
  Scratch<uint64_t> mask(temporaries, n * tiles);
  RCNN_FLOAT_DISPATCH(boxes.dtype(), T, {
    nms_mask_kernel<<<dim3(tiles, tiles), kTile>>>(boxes.data<T>(), n, iou_threshold, mask.ptr);
  });
  RCNN_CUDA_CHECK_LAUNCH();
  nms_keep_kernel<<<1, 256, tiles * sizeof(uint64_t)>>>(mask.ptr, n, tiles, keep.data<int64_t>());
  RCNN_CUDA_CHECK_LAUNCH();
}

}  // namespace rcnn::cuda
