// autograd/: the engine on graphs whose gradients are known by hand.
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "autograd/node.h"
#include "ops/ops.h"
#include "tests/helpers.h"

using namespace rcnn;
using rcnn::testing::check_values;

TEST_CASE("a value used twice gets both contributions") {
  Tensor x = tensor({3.0}).requires_grad_();
  Tensor y = x * x + x;  // dy/dx = 2x + 1 = 7
  y.backward();
  check_values(x.grad(), {7});
}

TEST_CASE("a diamond graph sums the two paths once each") {
  Tensor x = tensor({2.0}).requires_grad_();
  Tensor a = x * 3.0, b = exp(x), c = a * b;  // dc/dx = 3 e^x + 3x e^x = 9 e^2
  c.backward();
  check_values(x.grad(), {9 * std::exp(2.0)}, 1e-4, 1e-6);
}

TEST_CASE("gradients accumulate across backward calls until zeroed") {
  Tensor w = tensor({1.0, 2.0}).requires_grad_();
  sum(w * 3.0).backward();
  sum(w * 3.0).backward();
  check_values(w.grad(), {6, 6});
  w.zero_grad();
  CHECK_FALSE(w.grad().defined());
  sum(w).backward();
  check_values(w.grad(), {1, 1});
}

TEST_CASE("backward(leaf_done) hands over each leaf once, when every use has added its gradient") {
  Tensor w = tensor({3.0}).requires_grad_(), b = tensor({1.0}).requires_grad_(), unused = tensor({5.0}).requires_grad_();
  Tensor y = exp(w * w) * b + w * 2.0;  // w is used three times, b once
  std::vector<std::pair<std::string, double>> done;
  y.backward([&](Tensor& leaf) { done.emplace_back(leaf.same(w) ? "w" : leaf.same(b) ? "b" : "?", leaf.grad().item()); });
  REQUIRE(done.size() == 2);  // `unused` is not in the graph
  for (const auto& [name, grad] : done) {
    if (name == "w") CHECK(grad == doctest::Approx(2 * 3 * std::exp(9.0) + 2));  // complete: all three uses
    if (name == "b") CHECK(grad == doctest::Approx(std::exp(9.0)));
  }
  CHECK(done[0].first != done[1].first);
  CHECK_FALSE(unused.grad().defined());
}

TEST_CASE("leaves' gradients never share memory, though an op hands one tensor to two inputs") {
  Tensor a = tensor({1, 2}).requires_grad_(), b = tensor({3, 4}).requires_grad_();
  (a + b).backward(tensor({1, 1}));  // add's backward returns the same gradient tensor for both
  a.grad().copy_(a.grad() * 10.0);   // as gradient clipping does, in place
  check_values(a.grad(), {10, 10});
  check_values(b.grad(), {1, 1});
  Tensor w = tensor({5}).requires_grad_();
  sum(w * 2.0).backward();  // a fresh gradient only the engine holds is kept, not copied: same values
  check_values(w.grad(), {2});
}

TEST_CASE("a chain of 100 000 nodes runs backward and is freed without recursion") {
  Tensor x = tensor({1.0}).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y * 1.0;
  y = y * 2.0;
  y.backward();
  check_values(x.grad(), {2});
  y = Tensor();  // destroys the chain (recursively this would overflow the stack)
}

TEST_CASE("NoGradGuard records nothing") {
  Tensor x = tensor({1.0}).requires_grad_();
  {
    NoGradGuard guard;
    Tensor y = x * 2.0;
    CHECK_FALSE(y.requires_grad());
    CHECK(y.grad_fn() == nullptr);
  }
  CHECK((x * 2.0).requires_grad());
}

TEST_CASE("backward through a freed graph is a clear error; retain_graph allows it") {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  Tensor y = sum(exp(x));
  y.backward({}, /*retain_graph=*/true);
  y.backward();
  check_values(x.grad(), {2 * std::exp(1.0), 2 * std::exp(2.0)}, 1e-5);
  CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("already freed"), Error);
}

TEST_CASE("detach cuts the graph and shares the data") {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  Tensor d = (x * 2.0).detach();
  CHECK_FALSE(d.requires_grad());
  Tensor y = sum(d * x);  // d is a constant here: dy/dx = d
  y.backward();
  check_values(x.grad(), {2, 4});
}

TEST_CASE("backward needs a gradient for non-scalar outputs and a graph to go through") {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  CHECK_THROWS_WITH_AS((x * 2.0).backward(), doctest::Contains("pass backward(gradient)"), Error);
  (x * 2.0).backward(tensor({1.0, 10.0}));
  check_values(x.grad(), {2, 20});
  CHECK_THROWS_WITH_AS(tensor({1.0}).backward(), doctest::Contains("does not require grad"), Error);
  CHECK_THROWS_WITH_AS((x * 2.0).backward(tensor({1.0})), doctest::Contains("received a gradient of shape (1,)"),
                       Error);
}

TEST_CASE("gradients flow back through a change of dtype") {
  Tensor x = tensor({1.5, -2.0}, kFloat64).requires_grad_();
  Tensor y = sum(x.to(kFloat32) * tensor({3.0, 4.0}));
  y.backward();
  CHECK(x.grad().dtype() == kFloat64);
  check_values(x.grad(), {3, 4});
}

TEST_CASE("integer results (argmax, comparisons, sort indices) do not require grad") {
  Tensor x = tensor({1.0, 3.0, 2.0}).requires_grad_();
  CHECK_FALSE(argmax(x).requires_grad());
  CHECK_FALSE(gt(x, x).requires_grad());
  CHECK_FALSE(sort(x).indices.requires_grad());
  CHECK(sort(x).values.requires_grad());
}
