// CPU RoIAlign and RoIPool, threaded over (RoI, channel) planes: each output plane is one task. The
// backward passes are threaded over channels, which never share a gradient cell. RoIAlign's sample
// positions and weights depend on the RoI only, so they are computed once for all channels.
// (The CUDA twin keeps torchvision's per-sample form: its threads would gain little from the table.)
#include <algorithm>
#include <limits>
#include <vector>

#include "core/kernels/parallel.h"
#include "detection/kernels/roi_align.h"

namespace rcnn::cpu {

namespace {

// Calls f(k, c) for every RoI k and channel c, in parallel (one task per output plane).
template <class F>
void for_each_roi_plane(const RoiGeometry& g, F&& f) {
  parallel_for(
      g.K * g.C,
      [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) f(i / g.C, i % g.C);
      },
      std::max<int64_t>(1, kGrain / std::max<int64_t>(1, g.out_h * g.out_w * 16)));
}

// Calls f(c) for every channel, in parallel: the backward passes, whose RoIs overlap in the input.
template <class F>
void for_each_channel(const RoiGeometry& g, F&& f) {
  parallel_for(
      g.C,
      [&](int64_t b, int64_t e) {
        for (int64_t c = b; c < e; ++c) f(c);
      },
      1);
}

}  // namespace

// Every bin's weighted cells, computed once and shared by all channels (torchvision's "pre_calc",
// one step further): a bin's samples x their 4 corners, with the weights of a cell met twice added
// and divided by the samples per bin, so a bin's value is one short weighted sum. Bin b of RoI k has
// taps [start[k * bins + b], start[k * bins + b + 1]).
template <class T>
struct Taps {
  std::vector<int64_t> offset;
  std::vector<T> weight;
  std::vector<int64_t> start;
};

// One RoI's taps, appended to `t` (its start entries included).
template <class T>
void append_roi_taps(const T* box, const RoiGeometry& g, Taps<T>& t) {
  const roi::AlignFrame<T> f = roi::align_frame(box, g);
  for (int64_t ph = 0; ph < g.out_h; ++ph)
    for (int64_t pw = 0; pw < g.out_w; ++pw) {
      const size_t first = t.offset.size();
      for (int64_t iy = 0; iy < f.grid_h; ++iy)
        for (int64_t ix = 0; ix < f.grid_w; ++ix) {
          const roi::Bilinear<T> s = roi::align_sample(f, g, ph, pw, iy, ix);
          for (int q = 0; q < 4; ++q) {
            if (s.weight[q] == T(0)) continue;
            size_t j = first;
            while (j < t.offset.size() && t.offset[j] != s.offset[q]) ++j;
            if (j == t.offset.size()) t.offset.push_back(s.offset[q]), t.weight.push_back(0);
            t.weight[j] += s.weight[q] / f.count;
          }
        }
      t.start.push_back(static_cast<int64_t>(t.offset.size()));
    }
}

// All RoIs' taps, built in parallel (one piece per RoI) and joined.
template <class T>
Taps<T> align_taps(const T* box, const RoiGeometry& g) {
  std::vector<Taps<T>> pieces(g.K);
  parallel_for(
      g.K,
      [&](int64_t b, int64_t e) {
        for (int64_t k = b; k < e; ++k) append_roi_taps(box + 4 * k, g, pieces[k]);
      },
      8);
  Taps<T> t;
  t.start.push_back(0);
  for (const Taps<T>& p : pieces) {
    const int64_t base = static_cast<int64_t>(t.offset.size());
    for (int64_t s : p.start) t.start.push_back(base + s);
    t.offset.insert(t.offset.end(), p.offset.begin(), p.offset.end());
    t.weight.insert(t.weight.end(), p.weight.begin(), p.weight.end());
  }
  return t;
}

void roi_align_forward(const Tensor& x, const Tensor& boxes, const Tensor& batch_index, const RoiGeometry& g,
                       const Tensor& y) {
  const int64_t* batch = batch_index.data<int64_t>();
  RCNN_FLOAT_DISPATCH(x.dtype(), T, {
    const T* in = x.data<T>();
    T* out = y.data<T>();
    const Taps<T> t = align_taps(boxes.data<T>(), g);
    const int64_t bins = g.out_h * g.out_w;
    for_each_roi_plane(g, [&](int64_t k, int64_t c) {
      const T* plane = in + (batch[k] * g.C + c) * g.H * g.W;
      T* o = out + (k * g.C + c) * bins;
      for (int64_t bin = 0; bin < bins; ++bin) {
        T sum = 0;
        for (int64_t j = t.start[k * bins + bin]; j < t.start[k * bins + bin + 1]; ++j)
          sum += t.weight[j] * plane[t.offset[j]];
        o[bin] = sum;
      }
    });
  });
}

void roi_align_backward(const Tensor& gy, const Tensor& boxes, const Tensor& batch_index, const RoiGeometry& g,
                        const Tensor& gx) {
  const int64_t* batch = batch_index.data<int64_t>();
  RCNN_FLOAT_DISPATCH(gy.dtype(), T, {
    const T* grad_out = gy.data<T>();
    T* grad_in = gx.data<T>();
    std::fill(grad_in, grad_in + gx.numel(), T(0));
    const Taps<T> t = align_taps(boxes.data<T>(), g);
    const int64_t bins = g.out_h * g.out_w;
    for_each_channel(g, [&](int64_t c) {
      for (int64_t k = 0; k < g.K; ++k) {
        T* plane = grad_in + (batch[k] * g.C + c) * g.H * g.W;
        const T* go = grad_out + (k * g.C + c) * bins;
        for (int64_t bin = 0; bin < bins; ++bin)
          for (int64_t j = t.start[k * bins + bin]; j < t.start[k * bins + bin + 1]; ++j)
            plane[t.offset[j]] += go[bin] * t.weight[j];
      }
    });
  });
}

void roi_pool_forward(const Tensor& x, const Tensor& boxes, const Tensor& batch_index, const RoiGeometry& g,
                      const Tensor& y, const Tensor& argmax) {
  const int64_t* batch = batch_index.data<int64_t>();
  int64_t* arg = argmax.data<int64_t>();
  RCNN_FLOAT_DISPATCH(x.dtype(), T, {
    const T* in = x.data<T>();
    const T* box = boxes.data<T>();
    T* out = y.data<T>();
    for_each_roi_plane(g, [&](int64_t k, int64_t c) {
      const T* plane = in + (batch[k] * g.C + c) * g.H * g.W;
      const int64_t base = (k * g.C + c) * g.out_h * g.out_w;
      for (int64_t ph = 0; ph < g.out_h; ++ph)
        for (int64_t pw = 0; pw < g.out_w; ++pw) {
          const roi::PoolWindow w = roi::pool_window(box + 4 * k, g, ph, pw);
          const bool empty = w.h1 <= w.h0 || w.w1 <= w.w0;
          T best = empty ? T(0) : std::numeric_limits<T>::lowest();
          int64_t best_at = -1;
          for (int64_t h = w.h0; h < w.h1; ++h)
            for (int64_t x_ = w.w0; x_ < w.w1; ++x_)
              if (plane[h * g.W + x_] > best) best = plane[h * g.W + x_], best_at = h * g.W + x_;
          out[base + ph * g.out_w + pw] = best;
          arg[base + ph * g.out_w + pw] = best_at;
        }
    });
  });
}

void roi_pool_backward(const Tensor& gy, const Tensor& argmax, const Tensor& batch_index, const RoiGeometry& g,
                       const Tensor& gx) {
  const int64_t* batch = batch_index.data<int64_t>();
  const int64_t* arg = argmax.data<int64_t>();
  RCNN_FLOAT_DISPATCH(gy.dtype(), T, {
    const T* grad_out = gy.data<T>();
    T* grad_in = gx.data<T>();
    std::fill(grad_in, grad_in + gx.numel(), T(0));
    for_each_channel(g, [&](int64_t c) {
      for (int64_t k = 0; k < g.K; ++k) {
        T* plane = grad_in + (batch[k] * g.C + c) * g.H * g.W;
        const int64_t base = (k * g.C + c) * g.out_h * g.out_w;
        for (int64_t i = 0; i < g.out_h * g.out_w; ++i)
          if (arg[base + i] >= 0) plane[arg[base + i]] += grad_out[base + i];
      }
    });
  });
}

}  // namespace rcnn::cpu
