// CUDA twin of core/kernels/upsample.cpp: one thread per output pixel; backward adds with atomicAdd
// (several outputs share a source), so its sums may differ from the CPU's in the last bits.
#include "core/kernels.h"
#include "cuda/check.h"

namespace rcnn::cuda {

template <class T>
__global__ void upsample_nearest_forward_kernel(const T* x, int64_t H, int64_t W, T* y, int64_t OH, int64_t OW, int64_t total) {
  RCNN_GRID_STRIDE_LOOP(o, total) {
    const int64_t j = o % OW, i = o / OW % OH, plane = o / (OW * OH);
    y[o] = x[(plane * H + nearest_source(i, H, OH)) * W + nearest_source(j, W, OW)];
  }
}

template <class T>
__global__ void upsample_nearest_backward_kernel(const T* gy, int64_t OH, int64_t OW, T* gx, int64_t H, int64_t W, int64_t total) {
  RCNN_GRID_STRIDE_LOOP(o, total) {
    const int64_t j = o % OW, i = o / OW % OH, plane = o / (OW * OH);
    atomicAdd(gx + (plane * H + nearest_source(i, H, OH)) * W + nearest_source(j, W, OW), gy[o]);
  }
}

void upsample_nearest_forward(const Tensor& x, const Tensor& y) {
  const int64_t total = y.numel();
  if (total == 0) return;
  RCNN_FLOAT_DISPATCH(x.dtype(), T, {
    upsample_nearest_forward_kernel<<<blocks_for(total), kThreads>>>(x.data<T>(), x.size(2), x.size(3), y.data<T>(), y.size(2),
                                                                      y.size(3), total);
  });
  RCNN_CUDA_CHECK_LAUNCH();
}

void upsample_nearest_backward(const Tensor& gy, const Tensor& gx) {
  const int64_t total = gy.numel();
  if (gx.numel() == 0) return;
  RCNN_CUDA_CHECK(cudaMemset(gx.raw(), 0, gx.numel() * dtype_size(gx.dtype())));
  if (total == 0) return;
  RCNN_FLOAT_DISPATCH(gy.dtype(), T, {
    upsample_nearest_backward_kernel<<<blocks_for(total), kThreads>>>(gy.data<T>(), gy.size(2), gy.size(3), gx.data<T>(), gx.size(2),
                                                                       gx.size(3), total);
  });
  RCNN_CUDA_CHECK_LAUNCH();
}

}  // namespace rcnn::cuda
