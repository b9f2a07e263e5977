#pragma once
// Finite-difference gradient check (float64, central differences).
// The output y = f(inputs) is reduced to L = sum(y * w) with a fixed random w, so one backward pass
// gives dL/dx for every input element; each is compared with (L(x + eps) - L(x - eps)) / (2 eps).
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace rcnn {

struct GradcheckResult {
  bool ok = true;
  std::string message;  // on failure: the input, the index, the expected and the received value
};

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-4;
};

// inputs: float64 CPU tensors; those with requires_grad set are checked, the others held fixed.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, GradcheckOptions options = {});

}  // namespace rcnn
