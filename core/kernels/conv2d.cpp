// CPU convolution, the reference path: im2col + GEMM (core/kernels/blas.h), the way chapter 03 explains it.
// For each image, im2col unrolls every R x S window of every channel into a column, so the
// convolution becomes one matrix product:  y (K, OH*OW) = w (K, C*R*S) @ cols (C*R*S, OH*OW) + b.
// Backward: d cols = w^T @ dy (then col2im sums the columns back into the image), dw = dy @ cols^T,
// db = dy summed over N, OH, OW. A grouped convolution is `groups` of these side by side, each on its
// own slice of the channels and filters. The faster default CPU path is oneDNN (conv2d_onednn.cpp); the kernels
// below choose between the two (core/kernels/conv2d_backend.h).
#include <vector>

#include "core/kernels.h"
#include "core/kernels/blas.h"
#include "core/kernels/conv2d_backend.h"
#include "core/kernels/onednn.h"
#include "core/kernels/parallel.h"

namespace rcnn::cpu {

namespace {

// A grow-only scratch buffer per thread and type, so repeated convolutions do not allocate.
template <class T>
T* workspace(size_t n) {
  thread_local std::vector<T> buffer;
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

// Rows of cols, one per (c, r, s); grain so that each parallel chunk does enough work.
int64_t row_grain(const Conv2dGeometry& g) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(1, g.OH * g.OW)); }

// cols (C*R*S, OH*OW) from one image x (C, H, W); positions in the padding read 0.
template <class T>
void im2col(const T* x, const Conv2dGeometry& g, T* cols) {
  parallel_for(
      g.C * g.R * g.S,
      [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          const int64_t c = row / (g.R * g.S), r = row / g.S % g.R, s = row % g.S;
          T* out = cols + row * g.OH * g.OW;
          for (int64_t oh = 0; oh < g.OH; ++oh) {
            const int64_t h = oh * g.stride_h - g.pad_h + r * g.dilation_h;
            for (int64_t ow = 0; ow < g.OW; ++ow) {
              const int64_t w = ow * g.stride_w - g.pad_w + s * g.dilation_w;
              out[oh * g.OW + ow] = (h >= 0 && h < g.H && w >= 0 && w < g.W) ? x[(c * g.H + h) * g.W + w] : T(0);
            }
          }
        }
      },
      row_grain(g));
}

// The adjoint of im2col: every column entry is added back to the pixel it was read from.
// Parallel over channels: the rows of one channel write to the same pixels, so one thread owns them.
template <class T>
void col2im(const T* cols, const Conv2dGeometry& g, T* x) {
  parallel_for(
      g.C,
      [&](int64_t begin, int64_t end) {
        for (int64_t c = begin; c < end; ++c) {
          std::fill(x + c * g.H * g.W, x + (c + 1) * g.H * g.W, T(0));
          for (int64_t rs = 0; rs < g.R * g.S; ++rs) {
            const int64_t r = rs / g.S, s = rs % g.S;
            const T* in = cols + (c * g.R * g.S + rs) * g.OH * g.OW;
            for (int64_t oh = 0; oh < g.OH; ++oh) {
              const int64_t h = oh * g.stride_h - g.pad_h + r * g.dilation_h;
              if (h < 0 || h >= g.H) continue;
              for (int64_t ow = 0; ow < g.OW; ++ow) {
                const int64_t w = ow * g.stride_w - g.pad_w + s * g.dilation_w;
                if (w >= 0 && w < g.W) x[(c * g.H + h) * g.W + w] += in[oh * g.OW + ow];
              }
            }
          }
        }
      },
      1);
}

// One group's convolution: its C / groups channels and K / groups filters.
Conv2dGeometry one_group(const Conv2dGeometry& g) {
  Conv2dGeometry one = g;
  one.C = g.C / g.groups;
  one.K = g.K / g.groups;
  one.groups = 1;
  return one;
}

template <class T>
void forward(const T* x, const T* w, const T* b, const Conv2dGeometry& g, T* y) {
  const Conv2dGeometry q = one_group(g);
  const int64_t crs = q.C * q.R * q.S, pixels = g.OH * g.OW;
  T* cols = workspace<T>(crs * pixels);
  for (int64_t n = 0; n < g.N; ++n) {
    T* yn = y + n * g.K * pixels;
    for (int64_t k = 0; k < g.K; ++k) std::fill(yn + k * pixels, yn + (k + 1) * pixels, b ? b[k] : T(0));
    for (int64_t group = 0; group < g.groups; ++group) {
      im2col(x + (n * g.C + group * q.C) * g.H * g.W, q, cols);
      gemm(false, false, q.K, pixels, crs, T(1), w + group * q.K * crs, crs, cols, pixels, T(1), yn + group * q.K * pixels,
           pixels);
    }
  }
}

template <class T>
void backward_input(const T* gy, const T* w, const Conv2dGeometry& g, T* gx) {
  const Conv2dGeometry q = one_group(g);
  const int64_t crs = q.C * q.R * q.S, pixels = g.OH * g.OW;
  T* cols = workspace<T>(crs * pixels);
  for (int64_t n = 0; n < g.N; ++n) {
    for (int64_t group = 0; group < g.groups; ++group) {
      gemm(true, false, crs, pixels, q.K, T(1), w + group * q.K * crs, crs, gy + (n * g.K + group * q.K) * pixels, pixels,
           T(0), cols, pixels);
      col2im(cols, q, gx + (n * g.C + group * q.C) * g.H * g.W);
    }
  }
}

template <class T>
void backward_weight(const T* gy, const T* x, const Conv2dGeometry& g, T* gw, T* gb) {
  const Conv2dGeometry q = one_group(g);
  const int64_t crs = q.C * q.R * q.S, pixels = g.OH * g.OW;
  T* cols = workspace<T>(crs * pixels);
  for (int64_t n = 0; n < g.N; ++n) {
    for (int64_t group = 0; group < g.groups; ++group) {
      im2col(x + (n * g.C + group * q.C) * g.H * g.W, q, cols);
      gemm(false, true, q.K, crs, pixels, T(1), gy + (n * g.K + group * q.K) * pixels, pixels, cols, pixels, T(n > 0),
           gw + group * q.K * crs, crs);
    }
  }
  if (!gb) return;
  for (int64_t k = 0; k < g.K; ++k) {
    double acc = 0;
    for (int64_t n = 0; n < g.N; ++n)
      for (int64_t p = 0; p < pixels; ++p) acc += gy[(n * g.K + k) * pixels + p];
    gb[k] = static_cast<T>(acc);
  }
}

template <class T>
T* optional(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

}  // namespace

namespace {

CpuConvBackend backend = CpuConvBackend::OneDNN;

// oneDNN for float32 when chosen; the reference path otherwise.
bool use_onednn(const Tensor& t) { return backend == CpuConvBackend::OneDNN && t.dtype() == kFloat32; }

}  // namespace

void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dGeometry& g, const Tensor& y) {
  if (use_onednn(x)) return onednn::conv2d_forward(x, w, b, g, y);
  RCNN_FLOAT_DISPATCH(x.dtype(), T, forward(x.data<T>(), w.data<T>(), optional<T>(b), g, y.data<T>()));
}

void conv2d_backward_input(const Tensor& gy, const Tensor& w, const Conv2dGeometry& g, const Tensor& gx) {
  if (use_onednn(gy)) return onednn::conv2d_backward_input(gy, w, g, gx);
  RCNN_FLOAT_DISPATCH(gy.dtype(), T, backward_input(gy.data<T>(), w.data<T>(), g, gx.data<T>()));
}

void conv2d_backward_weight(const Tensor& gy, const Tensor& x, const Conv2dGeometry& g, const Tensor& gw,
                            const Tensor& gb) {
  if (use_onednn(gy)) return onednn::conv2d_backward_weight(gy, x, g, gw, gb);
  RCNN_FLOAT_DISPATCH(gy.dtype(), T, backward_weight(gy.data<T>(), x.data<T>(), g, gw.data<T>(), optional<T>(gb)));
}

}  // namespace rcnn::cpu

namespace rcnn {

void set_cpu_conv_backend(CpuConvBackend b) { cpu::backend = b; }
CpuConvBackend cpu_conv_backend() { return cpu::backend; }

}  // namespace rcnn
