#pragma once
// The scalar math of the elementwise ops, written once and compiled for both the CPU kernels and the
// CUDA kernels, so the two can only differ by rounding.
#include <cmath>
#include <type_traits>

#include "core/broadcast.h"  // RCNN_HOST_DEVICE
#include "core/kernels.h"

namespace rcnn {

template <class T>
RCNN_HOST_DEVICE inline T apply_unary(UnaryOp op, T x, double a, double b) {
  // float computes in float; double and int64 compute in double.
  using C = std::conditional_t<std::is_same_v<T, float>, float, double>;
  switch (op) {
    case UnaryOp::Neg: return -x;
    case UnaryOp::Exp: return static_cast<T>(exp(static_cast<C>(x)));
    case UnaryOp::Log: return static_cast<T>(log(static_cast<C>(x)));
    case UnaryOp::Sqrt: return static_cast<T>(sqrt(static_cast<C>(x)));
    case UnaryOp::Abs: return x < 0 ? -x : x;
    case UnaryOp::Sign: return static_cast<T>((x > 0) - (x < 0));
    case UnaryOp::Relu: return x > 0 ? x : T(0);
    // Stable on both tails: exp of a large positive number is never taken.
    case UnaryOp::Sigmoid: {
      C e = exp(-fabs(static_cast<C>(x)));
      return static_cast<T>(x >= 0 ? 1 / (1 + e) : e / (1 + e));
    }
    case UnaryOp::Pow: return static_cast<T>(pow(static_cast<C>(x), static_cast<C>(a)));
    case UnaryOp::Clamp: return x < a ? static_cast<T>(a) : (x > b ? static_cast<T>(b) : x);
  }
  return x;
}

template <class T>
RCNN_HOST_DEVICE inline T apply_binary(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
    case BinaryOp::Eq: return a == b;
    case BinaryOp::Ne: return a != b;
    case BinaryOp::Lt: return a < b;
    case BinaryOp::Le: return a <= b;
    case BinaryOp::Gt: return a > b;
    case BinaryOp::Ge: return a >= b;
  }
  return a;
}

}  // namespace rcnn
