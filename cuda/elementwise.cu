// CUDA twins of core/kernels/elementwise.cpp: fill, cast, unary, binary (broadcast), where.
#include "core/broadcast.h"
#include "core/kernels.h"
#include "core/scalar_ops.h"
#include "cuda/check.h"

namespace rcnn::cuda {

template <class T>
__global__ void fill_kernel(T* out, int64_t n, T value) {
  RCNN_GRID_STRIDE_LOOP(i, n) out[i] = value;
}

void fill(const Tensor& out, double value) {
  const int64_t n = out.numel();
  RCNN_DISPATCH(out.dtype(), T, fill_kernel<<<blocks_for(n), kThreads>>>(out.data<T>(), n, static_cast<T>(value)));
  RCNN_CUDA_CHECK_LAUNCH();
}

template <class S, class D>
__global__ void cast_kernel(const S* src, D* dst, int64_t n) {
  RCNN_GRID_STRIDE_LOOP(i, n) dst[i] = static_cast<D>(src[i]);
}

void cast(const Tensor& src, const Tensor& dst) {
  const int64_t n = src.numel();
  RCNN_DISPATCH(src.dtype(), S, RCNN_DISPATCH(dst.dtype(), D, {
    cast_kernel<<<blocks_for(n), kThreads>>>(src.data<S>(), dst.data<D>(), n);
  }));
  RCNN_CUDA_CHECK_LAUNCH();
}

template <UnaryOp op, class T>
__global__ void unary_kernel(const T* x, T* out, int64_t n, double a, double b) {
  RCNN_GRID_STRIDE_LOOP(i, n) out[i] = apply_unary<op>(x[i], a, b);
}

void unary(UnaryOp op, const Tensor& x, const Tensor& out, double a, double b) {
  const int64_t n = x.numel();
  RCNN_DISPATCH(x.dtype(), T, with_unary_op(op, [&](auto tag) {
    unary_kernel<decltype(tag)::value><<<blocks_for(n), kThreads>>>(x.data<T>(), out.data<T>(), n, a, b);
  }));
  RCNN_CUDA_CHECK_LAUNCH();
}

template <BinaryOp op, class T>
__global__ void binary_kernel(const T* a, const T* b, T* out, int64_t n, BroadcastIndexer ix) {
  RCNN_GRID_STRIDE_LOOP(i, n) {
    int64_t off[2];
    ix.offsets(i, off, 2);
    out[i] = apply_binary<op>(a[off[0]], b[off[1]]);
  }
}

void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  const int64_t n = out.numel();
  BroadcastIndexer ix = make_broadcast(out.shape(), {a.shape(), b.shape()});
  RCNN_DISPATCH(a.dtype(), T, with_binary_op(op, [&](auto tag) {
    binary_kernel<decltype(tag)::value><<<blocks_for(n), kThreads>>>(a.data<T>(), b.data<T>(), out.data<T>(), n, ix);
  }));
  RCNN_CUDA_CHECK_LAUNCH();
}

template <class C, class T>
__global__ void where_kernel(const C* cond, const T* a, const T* b, T* out, int64_t n, BroadcastIndexer ix) {
  RCNN_GRID_STRIDE_LOOP(i, n) {
    int64_t off[3];
    ix.offsets(i, off, 3);
    out[i] = cond[off[0]] != C(0) ? a[off[1]] : b[off[2]];
  }
}

void where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  const int64_t n = out.numel();
  BroadcastIndexer ix = make_broadcast(out.shape(), {cond.shape(), a.shape(), b.shape()});
  RCNN_DISPATCH(cond.dtype(), C, RCNN_DISPATCH(a.dtype(), T, {
    where_kernel<<<blocks_for(n), kThreads>>>(cond.data<C>(), a.data<T>(), b.data<T>(), out.data<T>(), n, ix);
  }));
  RCNN_CUDA_CHECK_LAUNCH();
}

}  // namespace rcnn::cuda
