// CPU vs CUDA: every op of the shared table (forward and every input gradient) and the
// non-differentiable ops, compared in float32. Always compiled; skipped, and said so, without a GPU.
#include <limits>

#include "core/rng.h"
#include "layers/pool2d.h"
#include "cuda/runtime.h"
#include "detection/boxes.h"
#include "detection/anchors.h"
#include "detection/nms.h"
#include "detection/proposals.h"
#include "detection/rpn.h"
#include "ops/ops.h"
#include "tests/helpers.h"
#include "tests/op_cases.h"

using namespace rcnn;
using rcnn::testing::check_close;

// Scores with many ties (quarters), so that NMS's stable order is tested too.
static Tensor floor_to_ties(const Tensor& u) { return (u * 4.0).to(kInt64).to(kFloat32) / 4.0; }

// A build without CUDA skips these cases when they are registered, so doctest's summary counts them as
// skipped; a CUDA build on a machine without a device skips them here and says so.
static bool have_gpu() {
  if (cuda::available()) return true;
  MESSAGE("skipped: no GPU (", cuda::built_with_cuda() ? "no CUDA device found" : "built without CUDA=1", ")");
  return false;
}

TEST_CASE("CUDA: every op of the table matches the CPU, forward and (where differentiable) backward" * doctest::skip(!cuda::built_with_cuda())) {
  if (!have_gpu()) return;
  const Device gpu = Device::cuda();
  for (const auto& c : rcnn::testing::op_cases()) {
    SUBCASE(c.name.c_str()) {
      std::vector<Tensor> cpu_in, gpu_in;
      for (const Tensor& t : rcnn::testing::make_inputs(c, 11)) {
        Tensor c32 = t.detach().to(kFloat32), g32 = c32.to(gpu);
        cpu_in.push_back(t.requires_grad() ? c32.requires_grad_() : c32);
        gpu_in.push_back(t.requires_grad() ? g32.requires_grad_() : g32);
      }
      Tensor y_cpu = c.f(cpu_in), y_gpu = c.f(gpu_in);
      CHECK(y_gpu.is_cuda());
      check_close(y_gpu.cpu(), y_cpu, 1e-5, 1e-4);
      if (!c.differentiable) continue;
      Generator gen(5);
      Tensor w = randn(y_cpu.shape(), gen);
      y_cpu.backward(w);
      y_gpu.backward(w.to(gpu));
      for (size_t i = 0; i < cpu_in.size(); ++i)
        if (cpu_in[i].requires_grad()) check_close(gpu_in[i].grad().cpu(), cpu_in[i].grad(), 1e-4, 1e-4);
    }
  }
}

// What make_inputs_with_empty_dim feeds every op on the CPU (tests/test_edges.cpp): the GPU must give
// the same result, or throw as the CPU does.
TEST_CASE("CUDA: every op of the table with a zero-size dim behaves as on the CPU" * doctest::skip(!cuda::built_with_cuda())) {
  if (!have_gpu()) return;
  for (const auto& c : rcnn::testing::op_cases()) {
    for (int64_t d = 0; d < static_cast<int64_t>(c.inputs[0].shape.size()); ++d) {
      CAPTURE(c.name);
      CAPTURE(d);
      std::vector<Tensor> cpu_in, gpu_in;
      for (const Tensor& t : rcnn::testing::make_inputs_with_empty_dim(c, d, 3)) {
        Tensor c32 = t.detach().to(kFloat32), g32 = c32.to(Device::cuda());
        cpu_in.push_back(t.requires_grad() ? c32.requires_grad_() : c32);
        gpu_in.push_back(t.requires_grad() ? g32.requires_grad_() : g32);
      }
      Tensor y_cpu;
      try {
        y_cpu = c.f(cpu_in);
      } catch (const Error&) {
        CHECK_THROWS_AS(c.f(gpu_in), Error);
        continue;
      }
      Tensor y_gpu = c.f(gpu_in);
      check_close(y_gpu.cpu(), y_cpu);
      if (!y_cpu.requires_grad()) continue;
      y_cpu.backward(ones(y_cpu.shape()));
      y_gpu.backward(ones(y_gpu.shape(), Device::cuda()));
      for (size_t i = 0; i < cpu_in.size(); ++i)
        if (cpu_in[i].grad().defined()) check_close(gpu_in[i].grad().cpu(), cpu_in[i].grad());
    }
  }
}

TEST_CASE("CUDA: NaN ranks above every number in max, argmax, pooling and sort, as on the CPU" * doctest::skip(!cuda::built_with_cuda())) {
  if (!have_gpu()) return;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x = tensor({1, nan, 0.5, nan, -1}), gx = x.to(Device::cuda());
  CHECK(argmax(gx, 0).item() == 1);
  CHECK(std::isnan(max(gx).item()));
  check_close(sort(gx).indices.cpu(), sort(x).indices);
  check_close(sort(gx, 0, true).indices.cpu(), sort(x, 0, true).indices);
  check_close(relu(gx).cpu(), relu(x));
  Tensor plane = from_vector<float>({1, float(nan), 0.5f, 0}, {1, 1, 2, 2});
  CHECK(std::isnan(max_pool2d(plane.to(Device::cuda())).item()));
}

TEST_CASE("CUDA: non-differentiable ops, dtypes and large shapes match the CPU" * doctest::skip(!cuda::built_with_cuda())) {
  if (!have_gpu()) return;
  const Device gpu = Device::cuda();
  Generator gen(3);
  Tensor a = randn({37, 1000}, gen), b = randn({1000}, gen);
  Tensor ga = a.to(gpu), gb = b.to(gpu);
  check_close(gt(ga, gb).cpu(), gt(a, b));
  check_close(eq(ga, ga).cpu(), eq(a, a));
  check_close(sign(ga).cpu(), sign(a));
  check_close(argmax(ga, 1).cpu(), argmax(a, 1));
  check_close(argmax(ga, 0).cpu(), argmax(a, 0));
  auto s_cpu = sort(a, 1, true), s_gpu = sort(ga, 1, true);
  check_close(s_gpu.indices.cpu(), s_cpu.indices);
  check_close(sort(ga, 0).indices.cpu(), sort(a, 0).indices);
  Tensor ties = from_vector<float>({1, 0, 1, 0, 1}, {5});  // stability: equal keys keep their order
  check_close(sort(ties.to(gpu)).indices.cpu(), sort(ties).indices);
  check_close(a.to(kInt64).to(gpu).to(kFloat64).cpu(), a.to(kInt64).to(kFloat64));
  check_close(sum(ga, {1}).cpu(), sum(a, {1}), 1e-3, 1e-5);
  check_close(matmul(ga, transpose(ga, 0, 1)).cpu(), matmul(a, transpose(a, 0, 1)), 1e-2, 1e-4);
  Tensor idx = from_vector<int64_t>({5, 5, 5, 0}, {4});
  check_close(index_select(ga, 1, idx.to(gpu)).cpu(), index_select(a, 1, idx));
  check_close(zeros({3, 4}, kInt64).to(gpu).cpu(), zeros({3, 4}, kInt64));
  Tensor d = randn({8, 9}, gen, kFloat64);  // float64 runs on the GPU too
  check_close(matmul(d.to(gpu), transpose(d, 0, 1).to(gpu)).cpu(), matmul(d, transpose(d, 0, 1)), 1e-10, 1e-10);
}

TEST_CASE("CUDA: boxes, box coding, nonzero and NMS (the bitmask kernel) match the CPU exactly" * doctest::skip(!cuda::built_with_cuda())) {
  if (!have_gpu()) return;
  const Device gpu = Device::cuda();
  Generator gen(21);
  for (int64_t n : {0, 1, 63, 64, 65, 500, 12000, 20000}) {  // around the 64-box tiles, the RPN's pre-NMS count,
    // and more tiles (313) than the device pass's threads (256)
    CAPTURE(n);
    Tensor xy = rand({n, 2}, gen) * 600.0, wh = rand({n, 2}, gen) * 120.0;
    Tensor boxes = concat({xy, xy + wh}, 1), scores = floor_to_ties(rand({n}, gen));
    Tensor labels = (rand({n}, gen) * 5.0).to(kInt64);
    for (double t : {0.3, 0.7}) {
      CHECK(nms(boxes.to(gpu), scores.to(gpu), t).cpu().to_vector<int64_t>() == nms(boxes, scores, t).to_vector<int64_t>());
      CHECK(batched_nms(boxes.to(gpu), scores.to(gpu), labels.to(gpu), t).cpu().to_vector<int64_t>() ==
            batched_nms(boxes, scores, labels, t).to_vector<int64_t>());
    }
    if (n > 500) continue;
    check_close(box_iou(boxes.to(gpu), boxes.to(gpu)).cpu(), box_iou(boxes, boxes), 1e-6, 1e-6);
    Tensor shifted = boxes + 3.0;
    check_close(encode_boxes(boxes.to(gpu), shifted.to(gpu)).cpu(), encode_boxes(boxes, shifted), 1e-5, 1e-5);
    check_close(decode_boxes(boxes.to(gpu), shifted.to(gpu) * 0.01).cpu(), decode_boxes(boxes, shifted * 0.01), 1e-3, 1e-5);
    check_close(clip_boxes(boxes.to(gpu), 300, 400).cpu(), clip_boxes(boxes, 300, 400));
    CHECK(nonzero(gt(scores, scalar_like(scores, 0.5)).to(gpu)).cpu().to_vector<int64_t>() ==
          nonzero(gt(scores, scalar_like(scores, 0.5))).to_vector<int64_t>());
  }
}

TEST_CASE("CUDA: proposals, matching and RPN targets match the CPU for the same seed" * doctest::skip(!cuda::built_with_cuda())) {
  if (!have_gpu()) return;
  const Device gpu = Device::cuda();
  Generator gen(8);
  const Tensor anchors = grid_anchors(AnchorOptions::paper(), 20, 30);
  const int64_t A = anchors.size(0);
  const Tensor objectness = randn({A}, gen), deltas = randn({A, 4}, gen) * 0.2;
  const Proposals p_cpu = propose(anchors, objectness, deltas, 320, 480);
  const Proposals p_gpu = propose(anchors.to(gpu), objectness.to(gpu), deltas.to(gpu), 320, 480);
  check_close(p_gpu.boxes.cpu(), p_cpu.boxes, 1e-3, 1e-5);
  check_close(p_gpu.scores.cpu(), p_cpu.scores);
  const Tensor truth = from_vector<float>({30, 40, 200, 180, 250, 60, 420, 300, 100, 200, 140, 260}, {3, 4});
  Generator a(4), b(4);
  const RpnTargets t_cpu = rpn_targets(anchors, truth, 320, 480, {}, a);
  const RpnTargets t_gpu = rpn_targets(anchors.to(gpu), truth.to(gpu), 320, 480, {}, b);
  CHECK(t_gpu.labels.cpu().to_vector<int64_t>() == t_cpu.labels.to_vector<int64_t>());
  check_close(t_gpu.box_targets.cpu(), t_cpu.box_targets, 1e-4, 1e-4);
}

TEST_CASE("CUDA: the caching allocator reuses freed blocks" * doctest::skip(!cuda::built_with_cuda())) {
  if (!have_gpu()) return;
  { Tensor t = zeros({1 << 20}, Device::cuda()); }
  size_t cached = cuda::cached_bytes();
  CHECK(cached >= (4u << 20));
  { Tensor t = zeros({1 << 20}, Device::cuda()); }
  CHECK(cuda::cached_bytes() == cached);
}
