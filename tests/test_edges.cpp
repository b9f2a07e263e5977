// The edges that detection makes common: zero-size dims, NaN, and the points where a formula's
// derivative differs from the function's (each found by trying the framework against PyTorch).
#include <limits>

#include "layers/conv2d.h"
#include "layers/functional.h"
#include "layers/losses.h"
#include "layers/pool2d.h"
#include "ops/ops.h"
#include "tests/helpers.h"
#include "tests/op_cases.h"

using namespace rcnn;
using rcnn::testing::check_values;

TEST_CASE("every op of the table gives a result or a clear error for a zero-size dim") {
  for (const auto& c : rcnn::testing::op_cases()) {
    for (int64_t d = 0; d < static_cast<int64_t>(c.inputs[0].shape.size()); ++d) {
      CAPTURE(c.name);
      CAPTURE(d);
      std::vector<Tensor> in = rcnn::testing::make_inputs_with_empty_dim(c, d, 3);
      Tensor y;
      try {
        y = c.f(in);
      } catch (const Error&) {
        continue;  // e.g. the max of nothing, or an index past an empty dim: said, not crashed
      }
      REQUIRE(y.defined());
      if (!y.requires_grad()) continue;
      y.backward(ones(y.shape(), kFloat64));
      for (size_t i = 0; i < in.size(); ++i)
        if (in[i].requires_grad() && in[i].grad().defined()) CHECK(in[i].grad().shape() == in[i].shape());
    }
  }
}

TEST_CASE("zero-size dims: the empty results PyTorch gives, and errors where there is no answer") {
  Tensor none = zeros({0, 5});
  CHECK(softmax(none, 1).shape() == Shape{0, 5});
  CHECK(log_softmax(none, 1).shape() == Shape{0, 5});
  CHECK(max(none, {1}).shape() == Shape{0});
  CHECK(argmax(none, 1).shape() == Shape{0});
  CHECK(sort(none, 1).indices.shape() == Shape{0, 5});
  CHECK(topk(none, 2).values.shape() == Shape{0, 2});
  CHECK(gather(none, 1, zeros({0, 3}, kInt64)).shape() == Shape{0, 3});
  CHECK(sum(none).item() == 0);
  CHECK(cross_entropy(none, zeros({0}, kInt64)).item() == 0);  // nothing counted adds nothing
  CHECK(binary_cross_entropy_with_logits(none, none).item() == 0);
  CHECK(conv2d(zeros({1, 0, 4, 4}), zeros({2, 0, 3, 3}), tensor({1.5, -2})).shape() == Shape{1, 2, 2, 2});
  check_values(conv2d(zeros({1, 0, 3, 3}), zeros({2, 0, 3, 3}), tensor({1.5, -2})), {1.5, -2});
  CHECK(conv2d(zeros({1, 3, 4, 4}), zeros({0, 3, 3, 3})).shape() == Shape{1, 0, 2, 2});
  CHECK_THROWS_WITH_AS(max(none, {0}), doctest::Contains("is empty"), Error);
  CHECK_THROWS_WITH_AS(max(zeros({0})), doctest::Contains("is empty"), Error);
  CHECK_THROWS_WITH_AS(mean(none), doctest::Contains("empty dim"), Error);
}

TEST_CASE("NaN is propagated as PyTorch does, never dropped") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x = tensor({1, nan, 0.5});
  CHECK(std::isnan(max(x).item()));
  CHECK(std::isnan(max(x, {0}).item()));
  CHECK(argmax(x, 0).item() == 1);
  CHECK(argmax(tensor({nan, 2, nan}), 0).item() == 0);  // the first NaN
  Tensor r = relu(x);
  CHECK(std::isnan(r.to_vector<float>()[1]));
  CHECK(std::isnan(max_pool2d(from_vector<float>({1, float(nan), 0.5f, 0}, {1, 1, 2, 2})).item()));
  // NaN ranks above every number: last ascending, first descending; equal keys keep their order.
  check_values(sort(tensor({1, nan, 0.5, nan, -1})).indices, {4, 2, 0, 1, 3});
  check_values(sort(tensor({1, nan, 0.5, nan, -1}), 0, true).indices, {1, 3, 0, 2, 4});
  Tensor l = tensor({nan, 1}).requires_grad_();
  sum(relu(l)).backward();
  check_values(l.grad(), {1, 1});  // PyTorch's threshold_backward lets a NaN's gradient through
}

TEST_CASE("gradients exact where the formula has a kink: BCE at a logit of 0, pow(x, 0) at 0") {
  Tensor z = zeros({2}, kFloat64).requires_grad_();
  binary_cross_entropy_with_logits(z, tensor({1.0, 0.0}, kFloat64)).backward();
  check_values(z.grad(), {-0.25, 0.25}, 1e-15);  // (sigmoid(0) - target) / N
  Tensor p = zeros({2}, kFloat64).requires_grad_();
  sum(pow(p, 0)).backward();
  check_values(p.grad(), {0, 0}, 0);
  Tensor big = tensor({-800.0, 800.0}, kFloat64).requires_grad_();  // no exp overflows on either side
  Tensor loss = binary_cross_entropy_with_logits(big, tensor({0.0, 1.0}, kFloat64));
  CHECK(loss.item() == 0);
  loss.backward();
  check_values(big.grad(), {0, 0}, 1e-300);
}

TEST_CASE("bad pooling and convolution arguments name the op and the shapes") {
  CHECK_THROWS_WITH_AS(max_pool2d(zeros({1, 1, 4, 4}), {2, -1, 0, false}), doctest::Contains("stride -1"), Error);
}

TEST_CASE("softmax over an empty dim is empty, as PyTorch's; sum over no dims gives x back, as NumPy's") {
  const Tensor empty = zeros({3, 0});
  for (int64_t dim : {0, 1}) {
    CHECK(softmax(empty, dim).shape() == Shape{3, 0});
    CHECK(log_softmax(empty, dim).shape() == Shape{3, 0});
  }
  CHECK_THROWS_WITH_AS(softmax(empty, 2), doctest::Contains("softmax"), Error);  // the dim must still exist
  const Tensor x = from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2});
  check_values(sum(x, {}), {1, 2, 3, 4});
  CHECK(sum(x, {}).shape() == Shape{2, 2});
  check_values(sum(x), {10});
}
