// CPU max pooling. Forward takes the maximum of each window (padding never wins, a NaN always does);
// backward routes each output's gradient to the first maximum of its window, found again rather than stored.
#include "core/kernels.h"
#include "core/kernels/parallel.h"
#include "core/scalar_ops.h"

namespace rcnn::cpu {

namespace {

// Calls visit(output offset, offset of the window's first maximum) for every output of plane p.
template <class T, class Visit>
inline void for_each_window(const T* plane, const Pool2dGeometry& g, Visit&& visit) {
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    const int64_t h0 = std::max<int64_t>(oh * g.stride_h - g.pad_h, 0);
    const int64_t h1 = std::min(oh * g.stride_h - g.pad_h + g.R, g.H);
    for (int64_t ow = 0; ow < g.OW; ++ow) {
      const int64_t w0 = std::max<int64_t>(ow * g.stride_w - g.pad_w, 0);
      const int64_t w1 = std::min(ow * g.stride_w - g.pad_w + g.S, g.W);
      int64_t best = h0 * g.W + w0;  // windows always overlap the image (the op checks padding <= kernel / 2)
      T best_value = plane[best];
      for (int64_t h = h0; h < h1; ++h)
        for (int64_t w = w0; w < w1; ++w)
          if (ranks_above(plane[h * g.W + w], best_value)) best = h * g.W + w, best_value = plane[best];
      visit(oh * g.OW + ow, best);
    }
  }
}

// Planes (one image, one channel) in parallel, enough of them per chunk to pay for a thread.
template <class F>
void for_each_plane(const Pool2dGeometry& g, F&& f) {
  parallel_for(
      g.N * g.C,
      [&](int64_t begin, int64_t end) {
        for (int64_t p = begin; p < end; ++p) f(p);
      },
      std::max<int64_t>(1, kGrain / std::max<int64_t>(1, g.H * g.W)));
}

}  // namespace

void max_pool2d_forward(const Tensor& x, const Pool2dGeometry& g, const Tensor& y) {
  RCNN_FLOAT_DISPATCH(x.dtype(), T, {
    const T* in = x.data<T>();
    T* out = y.data<T>();
    for_each_plane(g, [&](int64_t p) {
      const T* plane = in + p * g.H * g.W;
      T* out_plane = out + p * g.OH * g.OW;
      for_each_window(plane, g, [&](int64_t o, int64_t best) { out_plane[o] = plane[best]; });
    });
  });
}

void max_pool2d_backward(const Tensor& x, const Tensor& gy, const Pool2dGeometry& g, const Tensor& gx) {
  RCNN_FLOAT_DISPATCH(x.dtype(), T, {
    const T* in = x.data<T>();
    const T* grad_out = gy.data<T>();
    T* grad_in = gx.data<T>();
    for_each_plane(g, [&](int64_t p) {
      const T* plane = in + p * g.H * g.W;
      const T* grad_out_plane = grad_out + p * g.OH * g.OW;
      T* grad_plane = grad_in + p * g.H * g.W;
      std::fill(grad_plane, grad_plane + g.H * g.W, T(0));
      for_each_window(plane, g, [&](int64_t o, int64_t best) { grad_plane[best] += grad_out_plane[o]; });
    });
  });
}

}  // namespace rcnn::cpu
