#pragma once
// Assertions on tensor values for the doctest suites.
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>
#include <vector>

#include "core/tensor.h"

namespace rcnn::testing {

// Every element within atol + rtol * |expected|; the message names the first element that is not.
inline std::string mismatch(const std::vector<double>& got, const std::vector<double>& want, double atol,
                            double rtol) {
  if (got.size() != want.size())
    return "sizes differ: " + std::to_string(got.size()) + " vs " + std::to_string(want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    bool both_nan = std::isnan(got[i]) && std::isnan(want[i]);
    if (!both_nan && !(std::abs(got[i] - want[i]) <= atol + rtol * std::abs(want[i]))) {
      std::ostringstream os;
      os.precision(10);
      os << "element " << i << ": got " << got[i] << ", expected " << want[i];
      return os.str();
    }
  }
  return "";
}

inline void check_values(const Tensor& t, const std::vector<double>& want, double atol = 1e-6, double rtol = 1e-6) {
  std::string m = mismatch(t.to_vector<double>(), want, atol, rtol);
  CHECK_MESSAGE(m.empty(), m);
}

inline void check_close(const Tensor& got, const Tensor& want, double atol = 1e-5, double rtol = 1e-5) {
  REQUIRE_MESSAGE(got.shape() == want.shape(), shape_str(got.shape()), " vs ", shape_str(want.shape()));
  std::string m = mismatch(got.to_vector<double>(), want.to_vector<double>(), atol, rtol);
  CHECK_MESSAGE(m.empty(), m);
}

}  // namespace rcnn::testing
