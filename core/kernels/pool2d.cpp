// CPU max pooling. Forward takes the maximum of each window (padding never wins); backward routes
// each output's gradient to the first maximum of its window, found again rather than stored.
#include <limits>

#include "core/kernels.h"
#include "core/kernels/parallel.h"

namespace rcnn::cpu {

namespace {

// Offset (within one channel plane) of the first maximum of output (oh, ow)'s window.
template <class T>
int64_t window_argmax(const T* plane, const Pool2dGeometry& g, int64_t oh, int64_t ow) {
  const int64_t h0 = oh * g.stride_h - g.pad_h, w0 = ow * g.stride_w - g.pad_w;
  const int64_t h1 = std::min(h0 + g.R, g.H), w1 = std::min(w0 + g.S, g.W);
  int64_t best = -1;
  for (int64_t h = std::max<int64_t>(h0, 0); h < h1; ++h)
    for (int64_t w = std::max<int64_t>(w0, 0); w < w1; ++w)
      if (best < 0 || plane[h * g.W + w] > plane[best]) best = h * g.W + w;
  return best;  // windows always overlap the image (the op checks padding < window)
}

}  // namespace

void max_pool2d_forward(const Tensor& x, const Pool2dGeometry& g, const Tensor& y) {
  RCNN_FLOAT_DISPATCH(x.dtype(), T, {
    const T* in = x.data<T>();
    T* out = y.data<T>();
    parallel_for(
        g.N * g.C,
        [&](int64_t begin, int64_t end) {
          for (int64_t p = begin; p < end; ++p) {
            const T* plane = in + p * g.H * g.W;
            for (int64_t oh = 0; oh < g.OH; ++oh)
              for (int64_t ow = 0; ow < g.OW; ++ow)
                out[(p * g.OH + oh) * g.OW + ow] = plane[window_argmax(plane, g, oh, ow)];
          }
        },
        std::max<int64_t>(1, kGrain / std::max<int64_t>(1, g.H * g.W)));
  });
}

void max_pool2d_backward(const Tensor& x, const Tensor& gy, const Pool2dGeometry& g, const Tensor& gx) {
  RCNN_FLOAT_DISPATCH(x.dtype(), T, {
    const T* in = x.data<T>();
    const T* grad_out = gy.data<T>();
    T* grad_in = gx.data<T>();
    parallel_for(
        g.N * g.C,
        [&](int64_t begin, int64_t end) {
          for (int64_t p = begin; p < end; ++p) {
            const T* plane = in + p * g.H * g.W;
            T* grad_plane = grad_in + p * g.H * g.W;
            std::fill(grad_plane, grad_plane + g.H * g.W, T(0));
            for (int64_t oh = 0; oh < g.OH; ++oh)
              for (int64_t ow = 0; ow < g.OW; ++ow)
                grad_plane[window_argmax(plane, g, oh, ow)] += grad_out[(p * g.OH + oh) * g.OW + ow];
          }
        },
        std::max<int64_t>(1, kGrain / std::max<int64_t>(1, g.H * g.W)));
  });
}

}  // namespace rcnn::cpu
