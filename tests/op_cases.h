#pragma once
// One table of every op, shared by the gradient checks (float64, CPU), the CPU-vs-CUDA comparison and
// the PyTorch reference test, so no op can be missing from one of them. Structured inputs (valid boxes,
// indices) are built inside a case's function from its free inputs.
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace rcnn::testing {

// Positive: values in [0.5, 1.5] (log, sqrt, division). Any: values in [-1, 1], at least 0.05 from
// 0, so kinks (abs, relu) sit far from the finite-difference step. Zero: exactly 0, for ops that are
// smooth there but whose formula is not (a gradient written as 0 * 0^-1, or two kinks that cancel).
enum class Domain { Any, Positive, Zero };

struct InputSpec {
  Shape shape;
  Domain domain = Domain::Any;
  bool differentiable = true;  // false: a constant input (e.g. class weights), not gradient-checked
};

struct OpCase {
  std::string name;  // also the key of tests/reference/ops.json
  std::vector<InputSpec> inputs;
  std::function<Tensor(const std::vector<Tensor>&)> f;
  bool has_reference = true;  // false where PyTorch cannot produce the same values (random masks)
  // false for ops whose result has no gradient (NMS's indices, masks): compared on values only, on
  // both devices and with PyTorch, and left out of the gradient check.
  bool differentiable = true;
};

const std::vector<OpCase>& op_cases();
// Inputs for a case drawn from a seeded generator (float64, CPU, requires_grad set).
std::vector<Tensor> make_inputs(const OpCase& c, uint64_t seed);
// The same with dim `dim` of the first input made 0, so that every op, present and future, meets a
// zero-size dim (detection has images without boxes and classes without detections). The op must
// then give a result or throw rcnn::Error, on both devices alike; it must never crash.
std::vector<Tensor> make_inputs_with_empty_dim(const OpCase& c, int64_t dim, uint64_t seed);

}  // namespace rcnn::testing
