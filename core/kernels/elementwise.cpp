// CPU elementwise kernels: fill, cast, unary, binary (broadcast), where (broadcast).
#include "core/broadcast.h"
#include "core/kernels.h"
#include "core/kernels/parallel.h"
#include "core/scalar_ops.h"

namespace rcnn::cpu {

void fill(const Tensor& out, double value) {
  RCNN_DISPATCH(out.dtype(), T, {
    T* o = out.data<T>();
    T v = static_cast<T>(value);
    parallel_for(out.numel(), [&](int64_t b, int64_t e) { std::fill(o + b, o + e, v); });
  });
}

void cast(const Tensor& src, const Tensor& dst) {
  RCNN_DISPATCH(src.dtype(), S, RCNN_DISPATCH(dst.dtype(), D, {
    const S* s = src.data<S>();
    D* d = dst.data<D>();
    parallel_for(src.numel(), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) d[i] = static_cast<D>(s[i]);
    });
  }));
}

void unary(UnaryOp op, const Tensor& x, const Tensor& out, double a, double b) {
  RCNN_DISPATCH(x.dtype(), T, with_unary_op(op, [&](auto tag) {
    const T* in = x.data<T>();
    T* o = out.data<T>();
    parallel_for(x.numel(), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) o[i] = apply_unary<decltype(tag)::value>(in[i], a, b);
    });
  }));
}

// Runs f(i, offsets) for every output element i; offsets are computed once per chunk and then
// stepped like an odometer, so the inner loop does no division.
template <int N, class F>
static void for_each_broadcast(const BroadcastIndexer& ix, int64_t total, F&& f) {
  parallel_for(total, [&](int64_t begin, int64_t end) {
    int64_t off[N], coord[BroadcastIndexer::kMaxDims] = {};
    ix.offsets(begin, off, N);
    for (int64_t rest = begin, d = ix.ndim - 1; d >= 0; --d) {
      coord[d] = rest % ix.size[d];
      rest /= ix.size[d];
    }
    for (int64_t i = begin; i < end; ++i) {
      f(i, off);
      for (int d = ix.ndim - 1; d >= 0; --d) {  // advance the odometer by one element
        for (int k = 0; k < N; ++k) off[k] += ix.stride[k][d];
        if (++coord[d] < ix.size[d]) break;
        for (int k = 0; k < N; ++k) off[k] -= ix.stride[k][d] * ix.size[d];
        coord[d] = 0;
      }
    }
  });
}

// Same shapes, or one side a single value, run as flat loops the compiler vectorises; any other
// broadcast goes through the odometer.
void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  const int64_t n = out.numel();
  RCNN_DISPATCH(a.dtype(), T, with_binary_op(op, [&](auto tag) {
    constexpr BinaryOp OP = decltype(tag)::value;
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* o = out.data<T>();
    if (a.numel() == n && b.numel() == n) {
      parallel_for(n, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) o[i] = apply_binary<OP>(pa[i], pb[i]);
      });
    } else if (a.numel() == n && b.numel() == 1) {
      const T vb = pb[0];
      parallel_for(n, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) o[i] = apply_binary<OP>(pa[i], vb);
      });
    } else if (a.numel() == 1 && b.numel() == n) {
      const T va = pa[0];
      parallel_for(n, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) o[i] = apply_binary<OP>(va, pb[i]);
      });
    } else {
      BroadcastIndexer ix = make_broadcast(out.shape(), {a.shape(), b.shape()});
      for_each_broadcast<2>(ix, n, [&](int64_t i, const int64_t* off) { o[i] = apply_binary<OP>(pa[off[0]], pb[off[1]]); });
    }
  }));
}

void where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  const int64_t n = out.numel();
  RCNN_DISPATCH(cond.dtype(), C, RCNN_DISPATCH(a.dtype(), T, {
    const C* pc = cond.data<C>();
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* o = out.data<T>();
    if (cond.numel() == n && a.numel() == n && b.numel() == 1) {  // e.g. ReLU's gradient: where(y, g, 0)
      const T vb = pb[0];
      parallel_for(n, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) o[i] = pc[i] != C(0) ? pa[i] : vb;
      });
    } else {
      BroadcastIndexer ix = make_broadcast(out.shape(), {cond.shape(), a.shape(), b.shape()});
      for_each_broadcast<3>(ix, n, [&](int64_t i, const int64_t* off) {
        o[i] = pc[off[0]] != C(0) ? pa[off[1]] : pb[off[2]];
      });
    }
  }));
}

}  // namespace rcnn::cpu
