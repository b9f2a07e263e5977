// The ops of tests/op_cases.cpp against PyTorch 1.13's values, stored in tests/reference/ops.json by
// tests/reference/make_reference.py.
#include <fstream>
#include <nlohmann/json.hpp>

#include "ops/ops.h"
#include "tests/helpers.h"
#include "tests/op_cases.h"

using namespace rcnn;
using rcnn::testing::mismatch;

static const std::string kRegenerate = "regenerate it with `make reference` (needs Debian's python3-torch)";

static Tensor from_json(const nlohmann::json& j) {
  return from_vector(j.at("values").get<std::vector<double>>(), j.at("shape").get<Shape>());
}

// One op against its stored values: output, then each input's gradient (for differentiable ops).
static void check_against_reference(const rcnn::testing::OpCase& op, const nlohmann::json& c) {
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < op.inputs.size(); ++i) {
    Tensor t = from_json(c.at("inputs")[i]);
    inputs.push_back(op.inputs[i].differentiable ? t.requires_grad_() : t);
  }
  Tensor y = op.f(inputs);
  Tensor want = from_json(c.at("output"));
  if (y.shape() != want.shape()) {
    FAIL_CHECK(op.name << ": shape " << shape_str(y.shape()) << ", PyTorch " << shape_str(want.shape()) << "; "
                       << kRegenerate);
    return;
  }
  std::string m = mismatch(y.to_vector<double>(), want.to_vector<double>(), 1e-12, 1e-10);
  CHECK_MESSAGE(m.empty(), op.name, " output: ", m);
  if (!op.differentiable) return;
  std::vector<double> w(y.numel());
  for (size_t i = 0; i < w.size(); ++i) w[i] = (static_cast<double>(i % 7) - 3) / 4;
  y.backward(from_vector(w, y.shape()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!op.inputs[i].differentiable) continue;
    std::string g = mismatch(inputs[i].grad().to_vector<double>(), c.at("grads")[i].get<std::vector<double>>(),
                             1e-12, 1e-10);
    CHECK_MESSAGE(g.empty(), op.name, " gradient of input ", i, ": ", g);
  }
}

TEST_CASE("every op in the table matches PyTorch's values and gradients") {
  std::ifstream file("tests/reference/ops.json");
  REQUIRE_MESSAGE(file.good(), "tests/reference/ops.json is missing (run the tests from the repository root); ",
                  kRegenerate);
  nlohmann::json ref = nlohmann::json::parse(file);
  std::map<std::string, const nlohmann::json*> by_name;
  for (const auto& c : ref.at("cases")) by_name[c.at("name").get<std::string>()] = &c;

  // Every op is checked, whatever happened to the ones before it; a stale fixture names the op and
  // says how to regenerate it.
  for (const auto& op : rcnn::testing::op_cases()) {
    if (!op.has_reference) continue;
    auto it = by_name.find(op.name);
    if (it == by_name.end()) {
      FAIL_CHECK("no PyTorch values for '" << op.name << "': the fixture is stale; " << kRegenerate);
      continue;
    }
    try {
      check_against_reference(op, *it->second);
    } catch (const std::exception& e) {
      FAIL_CHECK("'" << op.name << "': " << std::string(e.what()) << " (is the fixture stale? " << kRegenerate << ")");
    }
  }
}
