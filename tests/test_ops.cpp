// Values of every primitive op on small cases that can be checked by hand.
#include "ops/ops.h"
#include "tests/helpers.h"

using namespace rcnn;
using rcnn::testing::check_values;

static Tensor m23() { return tensor({1, 2, 3, 4, 5, 6}).view_as_shape({2, 3}); }  // [[1 2 3] [4 5 6]]

TEST_CASE("arithmetic broadcasts like NumPy") {
  check_values(m23() + tensor({10, 20, 30}), {11, 22, 33, 14, 25, 36});
  check_values(m23() - reshape(tensor({1, 2}), {2, 1}), {0, 1, 2, 2, 3, 4});
  check_values(m23() * 2.0, {2, 4, 6, 8, 10, 12});
  check_values(1.0 / tensor({2, 4}), {0.5, 0.25});
  check_values(reshape(tensor({1, 2}), {2, 1, 1}) * tensor({1, 10, 100}), {1, 10, 100, 2, 20, 200});
  check_values(-tensor({1, -2}), {-1, 2});
}

TEST_CASE("unary math") {
  check_values(exp(tensor({0, 1})), {1, 2.718281828}, 1e-6);
  check_values(log(tensor({1, 2.718281828})), {0, 1}, 1e-6);
  check_values(sqrt(tensor({4, 9})), {2, 3});
  check_values(pow(tensor({2, 3}), 3), {8, 27}, 1e-5);
  check_values(abs(tensor({-1.5, 2})), {1.5, 2});
  check_values(sign(tensor({-3, 0, 2})), {-1, 0, 1});
  check_values(clamp(tensor({-2, 0.5, 3}), -1, 1), {-1, 0.5, 1});
  check_values(relu(tensor({-1, 0, 2})), {0, 0, 2});
  check_values(sigmoid(tensor({0, -1000, 1000, 2})), {0.5, 0, 1, 0.880797078}, 1e-6);
}

TEST_CASE("comparisons give 1 and 0 in the inputs' dtype") {
  Tensor a = tensor({1, 2, 3}), b = tensor({2, 2, 2});
  check_values(eq(a, b), {0, 1, 0});
  check_values(ne(a, b), {1, 0, 1});
  check_values(lt(a, b), {1, 0, 0});
  check_values(le(a, b), {1, 1, 0});
  check_values(gt(a, b), {0, 0, 1});
  check_values(ge(a, b), {0, 1, 1});
  check_values(where(gt(a, b), a, tensor({-1})), {-1, -1, 3});
}

TEST_CASE("reductions over all elements and over dims") {
  check_values(sum(m23()), {21});
  check_values(sum(m23(), {0}), {5, 7, 9});
  check_values(sum(m23(), {1}, true), {6, 15});
  CHECK(sum(m23(), {1}, true).shape() == Shape{2, 1});
  check_values(mean(m23()), {3.5});
  check_values(mean(m23(), {0, 1}), {3.5});
  check_values(max(m23()), {6});
  check_values(max(m23(), {1}), {3, 6});
  check_values(max(m23(), {0}), {4, 5, 6});
  check_values(argmax(m23()), {5});
  check_values(argmax(tensor({3, 1, 3, 0})), {0});  // the first of equal maxima
  check_values(argmax(m23(), 0), {1, 1, 1});
  Tensor big = ones({1000, 1000});
  CHECK(sum(big).item() == 1000000);  // accumulates in double
}

TEST_CASE("matmul, 2-D and batched") {
  Tensor a = m23(), b = reshape(tensor({1, 0, 0, 1, 1, 1}), {3, 2});  // [[1 0] [0 1] [1 1]]
  check_values(matmul(a, b), {4, 5, 10, 11});
  Tensor batch = reshape(concat({a, a * 2.0}, 0), {2, 2, 3});
  Tensor r = matmul(batch, b);
  CHECK(r.shape() == Shape{2, 2, 2});
  check_values(r, {4, 5, 10, 11, 8, 10, 20, 22});
  CHECK(matmul(zeros({2, 0}), zeros({0, 3})).shape() == Shape{2, 3});
  check_values(matmul(zeros({2, 0}), zeros({0, 3})), {0, 0, 0, 0, 0, 0});
}

TEST_CASE("shape ops") {
  check_values(transpose(m23(), 0, 1), {1, 4, 2, 5, 3, 6});
  Tensor x = reshape(arange(24), {2, 3, 4});
  Tensor p = permute(x, {2, 0, 1});
  CHECK(p.shape() == Shape{4, 2, 3});
  CHECK(p.at({3, 1, 2}) == x.at({1, 2, 3}));
  CHECK(reshape(x, {-1, 6}).shape() == Shape{4, 6});
  CHECK(flatten(x, 1).shape() == Shape{2, 12});
  CHECK(flatten(zeros({0, 256, 7, 7}), 1).shape() == Shape{0, 12544});  // as PyTorch: no -1 to infer from 0 elements
  CHECK(unsqueeze(m23(), 1).shape() == Shape{2, 1, 3});
  CHECK(squeeze(unsqueeze(m23(), 0), 0).shape() == Shape{2, 3});
  check_values(concat({m23(), tensor({7, 8, 9}).view_as_shape({1, 3})}, 0), {1, 2, 3, 4, 5, 6, 7, 8, 9});
  check_values(concat({m23(), tensor({7, 8}).view_as_shape({2, 1})}, 1), {1, 2, 3, 7, 4, 5, 6, 8});
  check_values(narrow(m23(), 1, 1, 2), {2, 3, 5, 6});
  check_values(narrow(m23(), 0, 1, 1), {4, 5, 6});
  check_values(expand(tensor({1, 2}).view_as_shape({2, 1}), {2, 3}), {1, 1, 1, 2, 2, 2});
}

TEST_CASE("index_select and gather") {
  Tensor idx = from_vector<int64_t>({2, 0, 2}, {3});
  check_values(index_select(m23(), 1, idx), {3, 1, 3, 6, 4, 6});
  check_values(index_select(m23(), 0, from_vector<int64_t>({1}, {1})), {4, 5, 6});
  Tensor g = from_vector<int64_t>({0, 0, 1, 1, 0, 2}, {2, 3});
  check_values(gather(m23(), 1, g), {1, 1, 2, 5, 4, 6});
  check_values(gather(m23(), 0, from_vector<int64_t>({1, 0, 1}, {1, 3})), {4, 2, 6});
}

TEST_CASE("sort and topk are stable and return int64 indices") {
  Tensor x = tensor({3, 1, 2, 1, 5});
  auto s = sort(x);
  check_values(s.values, {1, 1, 2, 3, 5});
  check_values(s.indices, {1, 3, 2, 0, 4});  // the two 1s keep their order
  CHECK(s.indices.dtype() == kInt64);
  auto d = sort(x, 0, true);
  check_values(d.values, {5, 3, 2, 1, 1});
  check_values(d.indices, {4, 0, 2, 1, 3});
  auto t = topk(m23(), 2, 1);
  check_values(t.values, {3, 2, 6, 5});
  check_values(t.indices, {2, 1, 2, 1});
  auto low = topk(m23(), 1, 0, false);
  check_values(low.values, {1, 2, 3});
  auto cols = sort(transpose(m23(), 0, 1), 0, true);  // along a dim that is not the last
  check_values(cols.values, {3, 6, 2, 5, 1, 4});
}
