#pragma once
// Element types. float32 is the working type; float64 exists on the CPU for gradient checks;
// int64 holds indices and labels and is never differentiable.
#include <cstddef>
#include <cstdint>

namespace rcnn {

enum class DType { Float32, Float64, Int64 };
constexpr DType kFloat32 = DType::Float32;
constexpr DType kFloat64 = DType::Float64;
constexpr DType kInt64 = DType::Int64;

inline size_t dtype_size(DType t) { return t == DType::Float32 ? 4 : 8; }
inline bool is_floating(DType t) { return t != DType::Int64; }
inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    default: return "int64";
  }
}

// Runs the statement with `T` bound to the C++ type of `dtype`.
#define RCNN_DISPATCH(dtype, T, ...)                 \
  switch (dtype) {                                   \
    case ::rcnn::DType::Float32: {                   \
      using T = float;                               \
      __VA_ARGS__;                                   \
      break;                                         \
    }                                                \
    case ::rcnn::DType::Float64: {                   \
      using T = double;                              \
      __VA_ARGS__;                                   \
      break;                                         \
    }                                                \
    case ::rcnn::DType::Int64: {                     \
      using T = int64_t;                             \
      __VA_ARGS__;                                   \
      break;                                         \
    }                                                \
  }

// The same for ops that only take floating types (the op has rejected int64 already).
#define RCNN_FLOAT_DISPATCH(dtype, T, ...) \
  if ((dtype) == ::rcnn::DType::Float32) { \
    using T = float;                       \
    __VA_ARGS__;                           \
  } else {                                 \
    using T = double;                      \
    __VA_ARGS__;                           \
  }

}  // namespace rcnn
