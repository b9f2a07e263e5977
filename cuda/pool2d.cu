// CUDA twin of core/kernels/pool2d.cpp. Own kernels rather than cuDNN's pooling: cuDNN has no
// ceil mode and breaks ties differently, and these match the CPU (first maximum wins) exactly.
#include "core/kernels.h"
#include "core/scalar_ops.h"
#include "cuda/check.h"

namespace rcnn::cuda {

template <class T>
__device__ int64_t window_argmax(const T* plane, const Pool2dGeometry& g, int64_t oh, int64_t ow) {
  const int64_t h0 = oh * g.stride_h - g.pad_h, w0 = ow * g.stride_w - g.pad_w;
  const int64_t h1 = min(h0 + g.R, g.H), w1 = min(w0 + g.S, g.W);
  int64_t best = -1;
  for (int64_t h = max(h0, int64_t(0)); h < h1; ++h)
    for (int64_t w = max(w0, int64_t(0)); w < w1; ++w)
      if (best < 0 || ranks_above(plane[h * g.W + w], plane[best])) best = h * g.W + w;
  return best;
}

template <class T>
__global__ void max_pool_forward_kernel(const T* x, Pool2dGeometry g, T* y, int64_t total) {
  RCNN_GRID_STRIDE_LOOP(i, total) {
    const int64_t ow = i % g.OW, oh = i / g.OW % g.OH, plane = i / (g.OW * g.OH);
    const T* p = x + plane * g.H * g.W;
    y[i] = p[window_argmax(p, g, oh, ow)];
  }
}

template <class T>
__global__ void max_pool_backward_kernel(const T* x, const T* gy, Pool2dGeometry g, T* gx, int64_t total) {
  RCNN_GRID_STRIDE_LOOP(i, total) {
    const int64_t ow = i % g.OW, oh = i / g.OW % g.OH, plane = i / (g.OW * g.OH);
    const T* p = x + plane * g.H * g.W;
    atomicAdd(gx + plane * g.H * g.W + window_argmax(p, g, oh, ow), gy[i]);
  }
}

void max_pool2d_forward(const Tensor& x, const Pool2dGeometry& g, const Tensor& y) {
  const int64_t total = y.numel();
  RCNN_FLOAT_DISPATCH(x.dtype(), T, max_pool_forward_kernel<<<blocks_for(total), kThreads>>>(x.data<T>(), g, y.data<T>(), total));
  RCNN_CUDA_CHECK_LAUNCH();
}

void max_pool2d_backward(const Tensor& x, const Tensor& gy, const Pool2dGeometry& g, const Tensor& gx) {
  const int64_t total = gy.numel();
  RCNN_CUDA_CHECK(cudaMemset(gx.raw(), 0, gx.numel() * dtype_size(gx.dtype())));
  RCNN_FLOAT_DISPATCH(x.dtype(), T, {
    max_pool_backward_kernel<<<blocks_for(total), kThreads>>>(x.data<T>(), gy.data<T>(), g, gx.data<T>(), total);
  });
  RCNN_CUDA_CHECK_LAUNCH();
}

}  // namespace rcnn::cuda
