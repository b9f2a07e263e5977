// CPU nearest-neighbour upsampling: forward copies each output pixel's source (nearest_source), backward
// adds each output's gradient to its source, one (image, channel) plane per task.
#include <algorithm>
#include <vector>

#include "core/kernels.h"
#include "core/kernels/parallel.h"

namespace rcnn::cpu {

namespace {

// Runs f(plane) for every (image, channel) plane in parallel, enough planes per chunk to pay for a thread.
template <class F>
void for_each_plane(int64_t planes, int64_t plane_size, F&& f) {
  parallel_for(
      planes,
      [&](int64_t begin, int64_t end) {
        for (int64_t p = begin; p < end; ++p) f(p);
      },
      std::max<int64_t>(1, kGrain / std::max<int64_t>(1, plane_size)));
}

// Each output column's source column, once per call rather than once per pixel.
std::vector<int64_t> source_columns(int64_t W, int64_t OW) {
  std::vector<int64_t> cols(static_cast<size_t>(OW));
  for (int64_t j = 0; j < OW; ++j) cols[static_cast<size_t>(j)] = nearest_source(j, W, OW);
  return cols;
}

}  // namespace

void upsample_nearest_forward(const Tensor& x, const Tensor& y) {
  const int64_t H = x.size(2), W = x.size(3), OH = y.size(2), OW = y.size(3);
  const std::vector<int64_t> cols = source_columns(W, OW);
  RCNN_FLOAT_DISPATCH(x.dtype(), T, {
    const T* in = x.data<T>();
    T* out = y.data<T>();
    for_each_plane(x.size(0) * x.size(1), OH * OW, [&](int64_t p) {
      for (int64_t i = 0; i < OH; ++i) {
        const T* row = in + (p * H + nearest_source(i, H, OH)) * W;
        T* out_row = out + (p * OH + i) * OW;
        for (int64_t j = 0; j < OW; ++j) out_row[j] = row[cols[static_cast<size_t>(j)]];
      }
    });
  });
}

void upsample_nearest_backward(const Tensor& gy, const Tensor& gx) {
  const int64_t H = gx.size(2), W = gx.size(3), OH = gy.size(2), OW = gy.size(3);
  const std::vector<int64_t> cols = source_columns(W, OW);
  RCNN_FLOAT_DISPATCH(gy.dtype(), T, {
    const T* grad_out = gy.data<T>();
    T* grad_in = gx.data<T>();
    for_each_plane(gx.size(0) * gx.size(1), OH * OW, [&](int64_t p) {
      T* plane = grad_in + p * H * W;
      std::fill(plane, plane + H * W, T(0));
      for (int64_t i = 0; i < OH; ++i) {
        T* row = plane + nearest_source(i, H, OH) * W;
        const T* grad_row = grad_out + (p * OH + i) * OW;
        for (int64_t j = 0; j < OW; ++j) row[cols[static_cast<size_t>(j)]] += grad_row[j];
      }
    });
  });
}

}  // namespace rcnn::cpu
