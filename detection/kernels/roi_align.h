#pragma once
// The arithmetic of RoIAlign and RoIPool, written once for the CPU kernels and their CUDA twins, in
// torchvision's order of operations (its roi_align and roi_pool kernels), so the results agree with it
// to float rounding.
#include <cmath>

#include "detection/kernels/kernels.h"

namespace rcnn::roi {

// One bilinear sample at (y, x) of an H x W plane: the four cells and their weights (all 0 outside
// the plane by more than one cell, as torchvision does, and on an empty plane).
template <class T>
struct Bilinear {
  int64_t offset[4] = {0, 0, 0, 0};
  T weight[4] = {0, 0, 0, 0};
};

template <class T>
RCNN_HOST_DEVICE inline Bilinear<T> bilinear(int64_t height, int64_t width, T y, T x) {
  Bilinear<T> b;
  if (height <= 0 || width <= 0 || y < T(-1) || y > T(height) || x < T(-1) || x > T(width)) return b;
  if (y <= 0) y = 0;
  if (x <= 0) x = 0;
  int64_t y_low = static_cast<int64_t>(y), x_low = static_cast<int64_t>(x), y_high, x_high;
  if (y_low >= height - 1) {
    y_high = y_low = height - 1;
    y = T(y_low);
  } else {
    y_high = y_low + 1;
  }
  if (x_low >= width - 1) {
    x_high = x_low = width - 1;
    x = T(x_low);
  } else {
    x_high = x_low + 1;
  }
  const T ly = y - T(y_low), lx = x - T(x_low), hy = T(1) - ly, hx = T(1) - lx;
  b.offset[0] = y_low * width + x_low, b.offset[1] = y_low * width + x_high;
  b.offset[2] = y_high * width + x_low, b.offset[3] = y_high * width + x_high;
  b.weight[0] = hy * hx, b.weight[1] = hy * lx, b.weight[2] = ly * hx, b.weight[3] = ly * lx;
  return b;
}

// One RoI's frame in feature-map cells: where its bins start and how large they are.
template <class T>
struct AlignFrame {
  T start_x, start_y, bin_w, bin_h;
  int64_t grid_w, grid_h;  // samples per bin side
  T count;                 // samples per bin
};

template <class T>
RCNN_HOST_DEVICE inline AlignFrame<T> align_frame(const T* box, const RoiGeometry& g) {
  const T scale = T(g.spatial_scale), offset = g.aligned ? T(0.5) : T(0);
  AlignFrame<T> f;
  f.start_x = box[0] * scale - offset;
  f.start_y = box[1] * scale - offset;
  T roi_w = box[2] * scale - offset - f.start_x, roi_h = box[3] * scale - offset - f.start_y;
  if (!g.aligned) {  // the legacy form: every RoI at least one cell wide
    roi_w = roi_w > T(1) ? roi_w : T(1);
    roi_h = roi_h > T(1) ? roi_h : T(1);
  }
  f.bin_w = roi_w / T(g.out_w);
  f.bin_h = roi_h / T(g.out_h);
  f.grid_w = g.sampling_ratio > 0 ? g.sampling_ratio : static_cast<int64_t>(ceil(roi_w / T(g.out_w)));
  f.grid_h = g.sampling_ratio > 0 ? g.sampling_ratio : static_cast<int64_t>(ceil(roi_h / T(g.out_h)));
  const int64_t n = f.grid_w * f.grid_h;
  f.count = T(n > 1 ? n : 1);
  return f;
}

// Sample (iy, ix) of bin (ph, pw).
template <class T>
RCNN_HOST_DEVICE inline Bilinear<T> align_sample(const AlignFrame<T>& f, const RoiGeometry& g, int64_t ph, int64_t pw,
                                                 int64_t iy, int64_t ix) {
  const T y = f.start_y + T(ph) * f.bin_h + (T(iy) + T(0.5)) * f.bin_h / T(f.grid_h);
  const T x = f.start_x + T(pw) * f.bin_w + (T(ix) + T(0.5)) * f.bin_w / T(f.grid_w);
  return bilinear(g.H, g.W, y, x);
}

// RoIPool's window of bin (ph, pw): [h0, h1) x [w0, w1) in cells, after rounding the box to the map.
struct PoolWindow {
  int64_t h0, h1, w0, w1;
};

template <class T>
RCNN_HOST_DEVICE inline PoolWindow pool_window(const T* box, const RoiGeometry& g, int64_t ph, int64_t pw) {
  const T scale = T(g.spatial_scale);
  const int64_t start_w = static_cast<int64_t>(round(box[0] * scale)), start_h = static_cast<int64_t>(round(box[1] * scale));
  const int64_t end_w = static_cast<int64_t>(round(box[2] * scale)), end_h = static_cast<int64_t>(round(box[3] * scale));
  const int64_t roi_w = end_w - start_w + 1 > 1 ? end_w - start_w + 1 : 1;
  const int64_t roi_h = end_h - start_h + 1 > 1 ? end_h - start_h + 1 : 1;
  const T bin_h = T(roi_h) / T(g.out_h), bin_w = T(roi_w) / T(g.out_w);
  auto clip = [](int64_t v, int64_t hi) { return v < 0 ? int64_t(0) : (v > hi ? hi : v); };
  PoolWindow w;
  w.h0 = clip(static_cast<int64_t>(floor(T(ph) * bin_h)) + start_h, g.H);
  w.h1 = clip(static_cast<int64_t>(ceil(T(ph + 1) * bin_h)) + start_h, g.H);
  w.w0 = clip(static_cast<int64_t>(floor(T(pw) * bin_w)) + start_w, g.W);
  w.w1 = clip(static_cast<int64_t>(ceil(T(pw + 1) * bin_w)) + start_w, g.W);
  return w;
}

}  // namespace rcnn::roi
