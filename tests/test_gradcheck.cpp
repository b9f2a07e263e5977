// Every differentiable op against finite differences (float64, CPU), and gradcheck itself.
#include "autograd/gradcheck.h"
#include "autograd/node.h"
#include "ops/ops.h"
#include "tests/helpers.h"
#include "tests/op_cases.h"

using namespace rcnn;

TEST_CASE("every differentiable op passes gradcheck") {
  for (const auto& c : rcnn::testing::op_cases()) {
    if (!c.differentiable) continue;
    SUBCASE(c.name.c_str()) {
      GradcheckResult r = gradcheck(c.f, rcnn::testing::make_inputs(c, 7));
      CHECK_MESSAGE(r.ok, c.name, ": ", r.message);
    }
  }
}

// x * x with a backward that forgets the factor 2: gradcheck must catch it and say where.
static Tensor square_with_wrong_backward(const Tensor& x) {
  Tensor out = x.detach() * x.detach();
  if (should_record({&x}))
    record("wrong_square", {x}, out, [x = x.detach()](const Tensor& g) -> std::vector<Tensor> { return {g * x}; });
  return out;
}

TEST_CASE("gradcheck fails on a wrong backward and names input, index and values") {
  Tensor x = tensor({0.5, -1.0, 2.0}, kFloat64).requires_grad_();
  GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return square_with_wrong_backward(in[0]); }, {x});
  CHECK_FALSE(r.ok);
  CHECK(r.message.find("input 0") != std::string::npos);
  CHECK(r.message.find("flat index 0") != std::string::npos);
  CHECK(r.message.find("expected (finite differences)") != std::string::npos);
  CHECK(r.message.find("received (backward)") != std::string::npos);
}

TEST_CASE("gradcheck insists on float64 CPU inputs") {
  Tensor x = tensor({1.0}).requires_grad_();
  CHECK_THROWS_WITH_AS(gradcheck([](const std::vector<Tensor>& in) { return in[0] * 2.0; }, {x}),
                       doctest::Contains("must be a float64 CPU tensor"), Error);
}
