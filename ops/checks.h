#pragma once
// Argument checks shared by the ops: each error names the op and the offending tensors.
#include "core/tensor.h"

namespace rcnn {

inline std::string describe(const Tensor& t) {
  return shape_str(t.shape()) + " " + dtype_name(t.dtype()) + " on " + t.device().str();
}

inline void check_defined(const char* op, const Tensor& t) { check(t.defined(), op, ": an input is undefined"); }

// Both tensors on one device with one dtype.
inline void check_same_kind(const char* op, const Tensor& a, const Tensor& b) {
  check_defined(op, a);
  check_defined(op, b);
  check(a.device() == b.device(), op, ": tensors on different devices: ", describe(a), " and ", describe(b));
  check(a.dtype() == b.dtype(), op, ": tensors of different dtypes: ", describe(a), " and ", describe(b));
}

inline void check_floating(const char* op, const Tensor& t) {
  check_defined(op, t);
  check(is_floating(t.dtype()), op, ": needs a floating-point tensor, got ", describe(t));
}

inline void check_index(const char* op, const Tensor& index) {
  check_defined(op, index);
  check(index.dtype() == kInt64, op, ": indices must be int64, got ", describe(index));
}

// While one lives, on this thread, checks that would copy a GPU tensor's values to the host (index
// ranges, class labels, box coordinates) are skipped: each copy makes the host wait for the device.
// Shapes, dtypes and devices are still checked, and CPU tensors are checked as always. The detector's
// steps hold one: their indices come from its own kernels (nonzero, sort, argmax), their boxes from
// anchors and its RPN (checked finite once), their ground truth was checked on the host.
class TrustedGpuValues {
 public:
  TrustedGpuValues();
  ~TrustedGpuValues();
  TrustedGpuValues(const TrustedGpuValues&) = delete;
  TrustedGpuValues& operator=(const TrustedGpuValues&) = delete;

 private:
  bool outer_;
};
// Whether t's values are checked: on the CPU always, on a GPU unless a TrustedGpuValues lives.
bool values_checked(const Tensor& t);

// Every index in [0, n) (where values_checked); copies GPU indices to the host to look.
void check_index_range(const char* op, const Tensor& index, int64_t n);

}  // namespace rcnn
