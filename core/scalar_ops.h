#pragma once
// The scalar math of the elementwise ops, written once and compiled for both the CPU kernels and the
// CUDA kernels, so the two can only differ by rounding. The op is a template parameter, so each
// kernel loop is specialised for one op (and vectorised) instead of switching per element;
// with_unary_op / with_binary_op turn the runtime op into that parameter, once per kernel call.
#include <cmath>
#include <type_traits>

#include "core/broadcast.h"  // RCNN_HOST_DEVICE
#include "core/kernels.h"

namespace rcnn {

// NaN is the one value unequal to itself (never true for int64).
template <class T>
RCNN_HOST_DEVICE inline bool is_nan(T x) {
  return x != x;
}

// The order of max, argmax, max pooling and sort: NaN ranks above every number, as in PyTorch, so a
// NaN reaching a maximum is propagated, never dropped (a diverging training must show it). A strict
// weak order (NaNs are equivalent), so std::stable_sort and thrust may use it.
template <class T>
RCNN_HOST_DEVICE inline bool ranks_above(T a, T b) {
  return a > b || (is_nan(a) && !is_nan(b));
}

// a * b rounded on its own. nvcc fuses a product with a following add into one FMA, which rounds
// once instead of twice; where GPU results must equal the CPU's bit for bit, products use this.
template <class T>
RCNN_HOST_DEVICE inline T mul_exact(T a, T b) {
#ifdef __CUDA_ARCH__
  if constexpr (std::is_same_v<T, float>) return __fmul_rn(a, b);
  if constexpr (std::is_same_v<T, double>) return __dmul_rn(a, b);
#endif
  return a * b;
}

template <UnaryOp op, class T>
RCNN_HOST_DEVICE inline T apply_unary(T x, double a, double b) {
  // float computes in float; double and int64 compute in double.
  using C = std::conditional_t<std::is_same_v<T, float>, float, double>;
  if constexpr (op == UnaryOp::Neg) return -x;
  if constexpr (op == UnaryOp::Exp) return static_cast<T>(exp(static_cast<C>(x)));
  if constexpr (op == UnaryOp::Log) return static_cast<T>(log(static_cast<C>(x)));
  if constexpr (op == UnaryOp::Sqrt) return static_cast<T>(sqrt(static_cast<C>(x)));
  if constexpr (op == UnaryOp::Abs) return x < 0 ? -x : x;
  if constexpr (op == UnaryOp::Sign) return static_cast<T>((x > 0) - (x < 0));
  if constexpr (op == UnaryOp::Floor) return static_cast<T>(floor(static_cast<C>(x)));
  if constexpr (op == UnaryOp::Ceil) return static_cast<T>(ceil(static_cast<C>(x)));
  if constexpr (op == UnaryOp::Relu) return x > 0 || is_nan(x) ? x : T(0);
  // Stable on both tails: exp of a large positive number is never taken.
  if constexpr (op == UnaryOp::Sigmoid) {
    C e = exp(-fabs(static_cast<C>(x)));
    return static_cast<T>(x >= 0 ? 1 / (1 + e) : e / (1 + e));
  }
  if constexpr (op == UnaryOp::Pow) return static_cast<T>(pow(static_cast<C>(x), static_cast<C>(a)));
  if constexpr (op == UnaryOp::Clamp) return x < a ? static_cast<T>(a) : (x > b ? static_cast<T>(b) : x);
  return x;
}

template <BinaryOp op, class T>
RCNN_HOST_DEVICE inline T apply_binary(T a, T b) {
  if constexpr (op == BinaryOp::Add) return a + b;
  if constexpr (op == BinaryOp::Sub) return a - b;
  if constexpr (op == BinaryOp::Mul) return a * b;
  if constexpr (op == BinaryOp::Div) return a / b;
  // A NaN on either side gives NaN (a + b is NaN then), as in PyTorch.
  if constexpr (op == BinaryOp::Maximum) return is_nan(a) || is_nan(b) ? a + b : (a < b ? b : a);
  if constexpr (op == BinaryOp::Minimum) return is_nan(a) || is_nan(b) ? a + b : (b < a ? b : a);
  if constexpr (op == BinaryOp::Eq) return a == b;
  if constexpr (op == BinaryOp::Ne) return a != b;
  if constexpr (op == BinaryOp::Lt) return a < b;
  if constexpr (op == BinaryOp::Le) return a <= b;
  if constexpr (op == BinaryOp::Gt) return a > b;
  if constexpr (op == BinaryOp::Ge) return a >= b;
  return a;
}

template <UnaryOp op>
using UnaryTag = std::integral_constant<UnaryOp, op>;
template <BinaryOp op>
using BinaryTag = std::integral_constant<BinaryOp, op>;

// Calls f(UnaryTag<op>{}) for the runtime op.
template <class F>
void with_unary_op(UnaryOp op, F&& f) {
  switch (op) {
    case UnaryOp::Neg: return f(UnaryTag<UnaryOp::Neg>{});
    case UnaryOp::Exp: return f(UnaryTag<UnaryOp::Exp>{});
    case UnaryOp::Log: return f(UnaryTag<UnaryOp::Log>{});
    case UnaryOp::Sqrt: return f(UnaryTag<UnaryOp::Sqrt>{});
    case UnaryOp::Abs: return f(UnaryTag<UnaryOp::Abs>{});
    case UnaryOp::Sign: return f(UnaryTag<UnaryOp::Sign>{});
    case UnaryOp::Floor: return f(UnaryTag<UnaryOp::Floor>{});
    case UnaryOp::Ceil: return f(UnaryTag<UnaryOp::Ceil>{});
    case UnaryOp::Relu: return f(UnaryTag<UnaryOp::Relu>{});
    case UnaryOp::Sigmoid: return f(UnaryTag<UnaryOp::Sigmoid>{});
    case UnaryOp::Pow: return f(UnaryTag<UnaryOp::Pow>{});
    case UnaryOp::Clamp: return f(UnaryTag<UnaryOp::Clamp>{});
  }
}

template <class F>
void with_binary_op(BinaryOp op, F&& f) {
  switch (op) {
    case BinaryOp::Add: return f(BinaryTag<BinaryOp::Add>{});
    case BinaryOp::Sub: return f(BinaryTag<BinaryOp::Sub>{});
    case BinaryOp::Mul: return f(BinaryTag<BinaryOp::Mul>{});
    case BinaryOp::Div: return f(BinaryTag<BinaryOp::Div>{});
    case BinaryOp::Maximum: return f(BinaryTag<BinaryOp::Maximum>{});
    case BinaryOp::Minimum: return f(BinaryTag<BinaryOp::Minimum>{});
    case BinaryOp::Eq: return f(BinaryTag<BinaryOp::Eq>{});
    case BinaryOp::Ne: return f(BinaryTag<BinaryOp::Ne>{});
    case BinaryOp::Lt: return f(BinaryTag<BinaryOp::Lt>{});
    case BinaryOp::Le: return f(BinaryTag<BinaryOp::Le>{});
    case BinaryOp::Gt: return f(BinaryTag<BinaryOp::Gt>{});
    case BinaryOp::Ge: return f(BinaryTag<BinaryOp::Ge>{});
  }
}

}  // namespace rcnn
