// CUDA twins of roi_align.cpp: one thread per output element; the backward passes add into the input's
// gradient with atomics, since the bins of overlapping RoIs share cells.
#include "cuda/check.h"
#include "detection/kernels/roi_align.h"

namespace rcnn::cuda {

namespace {

__device__ inline void atomic_add(float* p, float v) { atomicAdd(p, v); }
__device__ inline void atomic_add(double* p, double v) { atomicAdd(p, v); }

// Output element i as (k, c, ph, pw).
struct OutputIndex {
  int64_t k, c, ph, pw;
  __device__ OutputIndex(int64_t i, const RoiGeometry& g)
      : k(i / (g.C * g.out_h * g.out_w)), c(i / (g.out_h * g.out_w) % g.C), ph(i / g.out_w % g.out_h), pw(i % g.out_w) {}
};

template <class T>
__global__ void roi_align_forward_kernel(const T* x, const T* boxes, const int64_t* batch, RoiGeometry g, T* y,
                                         int64_t total) {
  RCNN_GRID_STRIDE_LOOP(i, total) {
    const OutputIndex o(i, g);
    const roi::AlignFrame<T> f = roi::align_frame(boxes + 4 * o.k, g);
    const T* plane = x + (batch[o.k] * g.C + o.c) * g.H * g.W;
    T sum = 0;
    for (int64_t iy = 0; iy < f.grid_h; ++iy)
      for (int64_t ix = 0; ix < f.grid_w; ++ix) {
        const roi::Bilinear<T> s = roi::align_sample(f, g, o.ph, o.pw, iy, ix);
        sum += s.weight[0] * plane[s.offset[0]] + s.weight[1] * plane[s.offset[1]] + s.weight[2] * plane[s.offset[2]] +
               s.weight[3] * plane[s.offset[3]];
      }
    y[i] = sum / f.count;
  }
}

template <class T>
__global__ void roi_align_backward_kernel(const T* gy, const T* boxes, const int64_t* batch, RoiGeometry g, T* gx,
                                          int64_t total) {
  RCNN_GRID_STRIDE_LOOP(i, total) {
    const OutputIndex o(i, g);
    const roi::AlignFrame<T> f = roi::align_frame(boxes + 4 * o.k, g);
    T* plane = gx + (batch[o.k] * g.C + o.c) * g.H * g.W;
    const T share = gy[i] / f.count;
    for (int64_t iy = 0; iy < f.grid_h; ++iy)
      for (int64_t ix = 0; ix < f.grid_w; ++ix) {
        const roi::Bilinear<T> s = roi::align_sample(f, g, o.ph, o.pw, iy, ix);
        for (int q = 0; q < 4; ++q)
          if (s.weight[q] != T(0)) atomic_add(plane + s.offset[q], share * s.weight[q]);
      }
  }
}

template <class T>
__global__ void roi_pool_forward_kernel(const T* x, const T* boxes, const int64_t* batch, RoiGeometry g, T* y,
                                        int64_t* argmax, int64_t total) {
  RCNN_GRID_STRIDE_LOOP(i, total) {
    const OutputIndex o(i, g);
    const roi::PoolWindow w = roi::pool_window(boxes + 4 * o.k, g, o.ph, o.pw);
    const T* plane = x + (batch[o.k] * g.C + o.c) * g.H * g.W;
    const bool empty = w.h1 <= w.h0 || w.w1 <= w.w0;
    T best = empty ? T(0) : -std::numeric_limits<T>::max();
    int64_t best_at = -1;
    for (int64_t h = w.h0; h < w.h1; ++h)
      for (int64_t x_ = w.w0; x_ < w.w1; ++x_)
        if (plane[h * g.W + x_] > best) best = plane[h * g.W + x_], best_at = h * g.W + x_;
    y[i] = best;
    argmax[i] = best_at;
  }
}

template <class T>
__global__ void roi_pool_backward_kernel(const T* gy, const int64_t* argmax, const int64_t* batch, RoiGeometry g,
                                         T* gx, int64_t total) {
  RCNN_GRID_STRIDE_LOOP(i, total) {
    if (argmax[i] < 0) continue;
    const OutputIndex o(i, g);
    atomic_add(gx + (batch[o.k] * g.C + o.c) * g.H * g.W + argmax[i], gy[i]);
  }
}

void zero(const Tensor& t) { RCNN_CUDA_CHECK(cudaMemset(t.raw(), 0, t.numel() * dtype_size(t.dtype()))); }

}  // namespace

void roi_align_forward(const Tensor& x, const Tensor& boxes, const Tensor& batch_index, const RoiGeometry& g,
                       const Tensor& y) {
  const int64_t total = y.numel();
  if (total == 0) return;
  RCNN_FLOAT_DISPATCH(x.dtype(), T, {
    roi_align_forward_kernel<<<blocks_for(total), kThreads>>>(x.data<T>(), boxes.data<T>(),
                                                              batch_index.data<int64_t>(), g, y.data<T>(), total);
  });
  RCNN_CUDA_CHECK_LAUNCH();
}

void roi_align_backward(const Tensor& gy, const Tensor& boxes, const Tensor& batch_index, const RoiGeometry& g,
                        const Tensor& gx) {
  zero(gx);
  const int64_t total = gy.numel();
  if (total == 0) return;
  RCNN_FLOAT_DISPATCH(gy.dtype(), T, {
    roi_align_backward_kernel<<<blocks_for(total), kThreads>>>(gy.data<T>(), boxes.data<T>(),
                                                               batch_index.data<int64_t>(), g, gx.data<T>(), total);
  });
  RCNN_CUDA_CHECK_LAUNCH();
}

void roi_pool_forward(const Tensor& x, const Tensor& boxes, const Tensor& batch_index, const RoiGeometry& g,
                      const Tensor& y, const Tensor& argmax) {
  const int64_t total = y.numel();
  if (total == 0) return;
  RCNN_FLOAT_DISPATCH(x.dtype(), T, {
    roi_pool_forward_kernel<<<blocks_for(total), kThreads>>>(x.data<T>(), boxes.data<T>(), batch_index.data<int64_t>(),
                                                             g, y.data<T>(), argmax.data<int64_t>(), total);
  });
  RCNN_CUDA_CHECK_LAUNCH();
}

void roi_pool_backward(const Tensor& gy, const Tensor& argmax, const Tensor& batch_index, const RoiGeometry& g,
                       const Tensor& gx) {
  zero(gx);
  const int64_t total = gy.numel();
  if (total == 0) return;
  RCNN_FLOAT_DISPATCH(gy.dtype(), T, {
    roi_pool_backward_kernel<<<blocks_for(total), kThreads>>>(gy.data<T>(), argmax.data<int64_t>(),
                                                              batch_index.data<int64_t>(), g, gx.data<T>(), total);
  });
  RCNN_CUDA_CHECK_LAUNCH();
}

}  // namespace rcnn::cuda
