// layers/: the two CPU convolution paths against each other, pooling and loss values by hand,
// dropout, modules, SGD.
#include "core/rng.h"
#include "layers/conv2d.h"
#include "layers/functional.h"
#include "layers/init.h"
#include "layers/losses.h"
#include "layers/modules.h"
#include "layers/pool2d.h"
#include "layers/sgd.h"
#include "ops/ops.h"
#include "tests/helpers.h"

using namespace rcnn;
using rcnn::testing::check_close;
using rcnn::testing::check_values;

namespace {
// Runs f with the given CPU convolution backend, restoring the previous one afterwards.
template <class F>
auto with_backend(CpuConvBackend backend, F&& f) {
  CpuConvBackend previous = cpu_conv_backend();
  set_cpu_conv_backend(backend);
  auto result = f();
  set_cpu_conv_backend(previous);
  return result;
}
}  // namespace

TEST_CASE("oneDNN and im2col + OpenBLAS agree, forward and backward") {
  struct Case {
    Shape x, w;
    Conv2dOptions o;
    bool bias;
  };
  std::vector<Case> cases = {{{2, 3, 17, 13}, {8, 3, 3, 3}, {1, 1, 1}, true},  {{1, 16, 20, 20}, {32, 16, 3, 3}, {2, 1, 1}, true},
                             {{1, 8, 15, 15}, {8, 8, 3, 3}, {1, 2, 2}, false}, {{2, 32, 9, 9}, {16, 32, 1, 1}, {1, 0, 1}, true},
                             {{1, 3, 32, 32}, {4, 3, 7, 7}, {2, 3, 1}, true}};
  Generator gen(9);
  for (const Case& c : cases) {
    Tensor x = randn(c.x, gen), w = randn(c.w, gen) * 0.1, b = c.bias ? randn({c.w[0]}, gen) : Tensor();
    auto run = [&] {
      Tensor xs = x.detach().requires_grad_(), ws = w.detach().requires_grad_();
      Tensor bs = b.defined() ? b.detach().requires_grad_() : Tensor();
      Tensor y = conv2d(xs, ws, bs, c.o);
      Generator g2(1);
      y.backward(randn(y.shape(), g2));
      return std::vector<Tensor>{y, xs.grad(), ws.grad(), bs.defined() ? bs.grad() : zeros({1})};
    };
    auto fast = with_backend(CpuConvBackend::OneDNN, run), ref = with_backend(CpuConvBackend::Im2col, run);
    for (size_t i = 0; i < fast.size(); ++i) check_close(fast[i], ref[i], 1e-3, 1e-4);
  }
}

TEST_CASE("conv2d and max_pool2d shapes and bad arguments") {
  CHECK(conv2d(zeros({1, 3, 600, 1000}), zeros({2, 3, 3, 3}), {}, {2, 1, 1}).shape() == Shape{1, 2, 300, 500});
  CHECK(max_pool2d(zeros({1, 1, 75, 125})).shape() == Shape{1, 1, 37, 62});
  CHECK(max_pool2d(zeros({1, 1, 75, 125}), {2, 2, 0, true}).shape() == Shape{1, 1, 38, 63});
  CHECK_THROWS_WITH_AS(conv2d(zeros({1, 3, 8, 8}), zeros({2, 4, 3, 3})),
                       doctest::Contains("the input has 3 channels, the weight expects 4"), Error);
  CHECK_THROWS_WITH_AS(conv2d(zeros({3, 8, 8}), zeros({2, 3, 3, 3})), doctest::Contains("must be 4-D"), Error);
  CHECK_THROWS_WITH_AS(conv2d(zeros({1, 3, 2, 2}), zeros({2, 3, 5, 5})), doctest::Contains("larger than the input"),
                       Error);
  CHECK_THROWS_WITH_AS(max_pool2d(zeros({1, 1, 1, 1}), {3, 1, 0, false}), doctest::Contains("smaller than"), Error);
}

TEST_CASE("max_pool2d by hand: padding never wins, the first maximum takes the gradient") {
  Tensor x = reshape(tensor({-1, -2, -3, -4, -5, -6, -7, -8, -9}), {1, 1, 3, 3}).requires_grad_();
  Tensor y = max_pool2d(x, {2, 2, 1, false});  // windows at -1: rows/cols {-1,0}, {1,2}
  check_values(y, {-1, -2, -4, -5});
  Tensor t = reshape(tensor({5, 5, 1, 1}), {1, 1, 2, 2}).requires_grad_();
  max_pool2d(t, {2, 2, 0, false}).backward(ones({1, 1, 1, 1}));
  check_values(t.grad(), {1, 0, 0, 0});
}

TEST_CASE("losses by hand") {
  // Smooth L1, sigma 1: |d| < 1 -> 0.5 d^2, else |d| - 0.5.
  check_values(smooth_l1_loss(tensor({0.5, 2.0, -3.0}), zeros({3}), 1.0), {0.125 + 1.5 + 2.5});
  // sigma 3: threshold 1/9; d = 0.1 -> 0.5 * 9 * 0.01 = 0.045; d = 1 -> 1 - 0.5/9.
  check_values(smooth_l1_loss(tensor({0.1, 1.0}), zeros({2}), 3.0, tensor({1, 1}), 2.0), {(0.045 + 1 - 0.5 / 9) / 2},
               1e-6);
  check_values(smooth_l1_loss(tensor({0.1, 1.0}), zeros({2}), 3.0, tensor({0, 1})), {1 - 0.5 / 9}, 1e-6);
  // Cross-entropy of uniform logits is log C; ignored targets do not count; all ignored gives 0.
  Tensor logits = zeros({2, 4});
  check_values(cross_entropy(logits, from_vector<int64_t>({1, 3}, {2})), {std::log(4.0)}, 1e-6);
  check_values(cross_entropy(reshape(tensor({0, 0, 0, 0, 100, 0, 0, 0}), {2, 4}), from_vector<int64_t>({1, -1}, {2})),
               {std::log(4.0)}, 1e-6);
  check_values(cross_entropy(logits, from_vector<int64_t>({-1, -1}, {2})), {0});
  CHECK_THROWS_WITH_AS(cross_entropy(logits, from_vector<int64_t>({4, 0}, {2})),
                       doctest::Contains("target 4 is not a class in [0, 4)"), Error);
  // Large logits stay finite: -log softmax = 1000 for a 1000-logit gap.
  check_values(cross_entropy(reshape(tensor({1000, 0}), {1, 2}), from_vector<int64_t>({1}, {1})), {1000}, 1e-3);
  // BCE with logits: x = 0 -> log 2 whatever the target; x = +-100 stays finite.
  check_values(binary_cross_entropy_with_logits(zeros({2}), tensor({0, 1})), {std::log(2.0)}, 1e-6);
  check_values(binary_cross_entropy_with_logits(tensor({100, -100}), tensor({0, 1})), {100}, 1e-4);
}

TEST_CASE("dropout keeps the expectation in training and is the identity in evaluation") {
  Generator gen(4);
  Tensor x = ones({100000});
  Tensor y = dropout(x, 0.3, true, gen);
  CHECK(mean(y).item() == doctest::Approx(1.0).epsilon(0.02));
  CHECK(mean(eq(y, zeros({}))).item() == doctest::Approx(0.3).epsilon(0.02));
  CHECK(dropout(x, 0.3, false, gen).same(x));
  CHECK_THROWS_AS(dropout(x, 1.0, true, gen), Error);
}

TEST_CASE("softmax rows sum to one, even for huge logits") {
  Tensor p = softmax(reshape(tensor({1000, 0, -1000, 1, 2, 3}), {2, 3}), 1);
  check_values(sum(p, {1}), {1, 1}, 1e-6);
  check_values(narrow(p, 0, 0, 1), {1, 0, 0}, 1e-6);
}

TEST_CASE("modules: hierarchical names, train/eval, freezing, loading by name") {
  auto net = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<Layer>>{
      std::make_shared<nn::Conv2d>(3, 4, 3, Conv2dOptions{1, 1, 1}), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Dropout>(0.5), std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(4 * 5 * 5, 2)});
  std::vector<std::string> names;
  for (auto& [name, t] : net->named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "4.weight", "4.bias"});
  CHECK(net->forward(zeros({2, 3, 5, 5})).shape() == Shape{2, 2});
  net->eval();
  CHECK_FALSE(net->children()[2].second->is_training());
  Tensor x = ones({1, 3, 5, 5});
  check_close(net->forward(x), net->forward(x));  // no dropout in evaluation
  net->children()[0].second->freeze();
  CHECK_FALSE(net->named_parameters()[0].second.requires_grad());
  CHECK(net->named_parameters()[2].second.requires_grad());

  NamedTensors values = net->named_parameters();
  values[0].second = zeros({4, 3, 3, 3});
  net->load_parameters(values);
  check_close(net->named_parameters()[0].second, zeros({4, 3, 3, 3}));
  NamedTensors wrong = {{"0.weight", zeros({4, 3, 5, 5})}, {"extra", zeros({1})}};
  CHECK_THROWS_WITH_AS(net->load_parameters(wrong),
                       doctest::Contains("0.weight: expected (4, 3, 3, 3) float32, got (4, 3, 5, 5)"), Error);
  CHECK_THROWS_WITH_AS(net->load_parameters(wrong), doctest::Contains("missing: 4.bias"), Error);
  CHECK_THROWS_WITH_AS(net->load_parameters(wrong), doctest::Contains("unexpected: extra"), Error);
}

TEST_CASE("SGD: momentum, weight decay and parameter groups follow PyTorch's update") {
  Tensor w = tensor({1.0, -2.0}).requires_grad_(), b = tensor({0.5}).requires_grad_();
  optim::SGD sgd({{{{"w", w}}, 1.0, 0.1}, {{{"b", b}}, 2.0, 0.0}}, {0.1, 0.9, 0.0});
  for (int step = 0; step < 2; ++step) {
    sgd.zero_grad();
    sum(w * tensor({3.0, 4.0}) + b * 2.0).backward();  // dL/dw = (3, 4); b is broadcast twice: dL/db = 4
    sgd.step();
  }
  // w: g = (3, 4) + 0.1 w. Step 1: v = (3.1, 3.8), w = (0.69, -2.38).
  // Step 2: g = (3.069, 3.762), v = 0.9 v + g = (5.859, 7.182), w = (0.69 - 0.5859, -2.38 - 0.7182).
  check_values(w, {0.69 - 0.5859, -2.38 - 0.7182}, 1e-5);
  // b: lr x2 = 0.2, no decay. v1 = 4, b = 0.5 - 0.8 = -0.3; v2 = 0.9 * 4 + 4 = 7.6, b = -0.3 - 1.52.
  check_values(b, {-0.3 - 1.52}, 1e-5);
  CHECK(sgd.state().size() == 2);
}

TEST_CASE("SGD stepping each parameter inside backward (its gradient then dropped) gives the same numbers") {
  Generator gen_a(3), gen_b(3);
  nn::Sequential a({std::make_shared<nn::Linear>(4, 8, true, gen_a), std::make_shared<nn::ReLU>(),
                    std::make_shared<nn::Linear>(8, 2, true, gen_a)});
  nn::Sequential b({std::make_shared<nn::Linear>(4, 8, true, gen_b), std::make_shared<nn::ReLU>(),
                    std::make_shared<nn::Linear>(8, 2, true, gen_b)});
  optim::SGD after(optim::weight_and_bias_groups(a, 1e-2), {0.1, 0.9, 0});
  optim::SGD inside(optim::weight_and_bias_groups(b, 1e-2), {0.1, 0.9, 0});
  Generator data(7);
  for (int step = 0; step < 3; ++step) {
    const Tensor x = randn({5, 4}, data);
    after.zero_grad();
    sum(a.forward(x) * a.forward(x)).backward();  // every parameter used twice
    after.step();
    inside.zero_grad();
    sum(b.forward(x) * b.forward(x)).backward([&](Tensor& p) {
      inside.step(p);
      p.zero_grad();
    });
  }
  const NamedTensors pa = a.named_parameters(), pb = b.named_parameters();
  REQUIRE(pa.size() == pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    CAPTURE(pa[i].first);
    CHECK(pa[i].second.to_vector<float>() == pb[i].second.to_vector<float>());  // bit for bit
    CHECK_FALSE(pb[i].second.grad().defined());
  }
}

TEST_CASE("weight_and_bias_groups, StepLR and gradient clipping") {
  nn::Linear fc(3, 2);
  auto groups = optim::weight_and_bias_groups(fc, 5e-4);
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].params[0].first == "weight");
  CHECK(groups[0].weight_decay == 5e-4);
  CHECK(groups[1].params[0].first == "bias");
  CHECK(groups[1].lr_scale == 2.0);
  CHECK(groups[1].weight_decay == 0.0);
  optim::StepLR schedule{1e-3, {50000}, 0.1};
  CHECK(schedule.at(49999) == doctest::Approx(1e-3));
  CHECK(schedule.at(50000) == doctest::Approx(1e-4));
  Tensor p = tensor({1.0, 1.0}).requires_grad_();
  sum(p * tensor({3.0, 4.0})).backward();
  CHECK(optim::clip_grad_norm({p}, 1.0) == doctest::Approx(5.0));
  check_values(p.grad(), {0.6, 0.8}, 1e-6);
}

TEST_CASE("initialisers have the variances their papers give") {
  Generator gen(8);
  Tensor w = Tensor::empty({256, 128, 3, 3});
  kaiming_normal_(w, gen);  // std = sqrt(2 / (128 * 9))
  CHECK(std::sqrt(mean(w * w).item()) == doctest::Approx(std::sqrt(2.0 / 1152)).epsilon(0.02));
  Tensor v = Tensor::empty({300, 200});
  xavier_uniform_(v, gen);  // U(-a, a), a = sqrt(6 / 500): variance a^2 / 3
  CHECK(max(abs(v)).item() <= std::sqrt(6.0 / 500) + 1e-6);
  CHECK(mean(v * v).item() == doctest::Approx(6.0 / 500 / 3).epsilon(0.03));
  normal_(v, 0.01, gen);
  CHECK(std::sqrt(mean(v * v).item()) == doctest::Approx(0.01).epsilon(0.03));
  zeros_(v);
  CHECK(max(abs(v)).item() == 0);
}

// A detection head is a Module with named entry points returning structs; only Layers have forward(x).
namespace {
struct HeadOutputs {
  Tensor scores, deltas;
};
class TwoOutputHead : public Module {
 public:
  TwoOutputHead() : weight(register_parameter("weight", ones({3}))) {}
  HeadOutputs predict(const Tensor& x) const { return {x * weight, x - weight}; }
  Tensor& weight;
};
}  // namespace

TEST_CASE("Module hosts a head whose entry point returns a struct; Layer adds forward(x)") {
  TwoOutputHead head;
  HeadOutputs out = head.predict(tensor({1, 2, 3}));
  rcnn::testing::check_values(out.scores, {1, 2, 3});
  CHECK(head.named_parameters().at(0).first == "weight");
  nn::Sequential seq({std::make_shared<nn::ReLU>()});
  rcnn::testing::check_values(seq(tensor({-1, 2})), {0, 2});
}
