// detection/: boxes (IoU, clipping, coding) and NMS against torchvision 0.14's answers on random inputs
// (tests/reference/detection.json, written by make_detection_reference.py), plus bad input.
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "detection/anchors.h"
#include "detection/boxes.h"
#include "detection/nms.h"
#include "detection/proposals.h"
#include "detection/rpn.h"
#include "detection/rcnn_head.h"
#include "detection/roi_pool.h"
#include "autograd/grad_mode.h"
#include "models/vgg16.h"
#include "detection/postprocess.h"
#include "layers/losses.h"
#include <algorithm>
#include <cmath>
#include "ops/checks.h"
#include "ops/ops.h"
#include "tests/helpers.h"

using namespace rcnn;
using nlohmann::json;
using rcnn::testing::check_close;
using rcnn::testing::check_values;

namespace {

const json& reference() {
  static const json ref = [] {
    std::ifstream file("tests/reference/detection.json");
    REQUIRE_MESSAGE(file.good(), "tests/reference/detection.json is missing: run the tests from the repository root, "
                                 "or regenerate it with `make reference`");
    return json::parse(file);
  }();
  return ref;
}

Tensor from_json(const json& j) {
  return from_vector(j.at("values").get<std::vector<float>>(), j.at("shape").get<Shape>());
}

}  // namespace

TEST_CASE("box_iou equals torchvision's" * doctest::test_suite("ch06")) {
  const json& r = reference().at("box_iou");
  check_close(box_iou(from_json(r.at("a")), from_json(r.at("b"))), from_json(r.at("iou")), 0, 0);
  // Both areas 0: no overlap (torchvision divides 0 by 0 there).
  check_values(box_iou(tensor({5, 5, 5, 5}).view_as_shape({1, 4}), tensor({5, 5, 5, 5}).view_as_shape({1, 4})), {0});
}

TEST_CASE("box coding equals torchvision's BoxCoder (weights 10, 10, 5, 5), clamp included" * doctest::test_suite("ch06")) {
  const json& r = reference().at("box_coder");
  const Tensor ref = from_json(r.at("reference")), target = from_json(r.at("target"));
  // The same arithmetic in the same order; only exp and log may differ from PyTorch's vectorised ones
  // in the last bits (seen: 1-2 units in the last place).
  check_close(encode_boxes(ref, target), from_json(r.at("encoded")), 1e-6, 1e-6);
  check_close(decode_boxes(ref, from_json(r.at("encoded"))), from_json(r.at("decoded")), 1e-5, 1e-6);
  check_close(decode_boxes(ref, from_json(r.at("big_deltas"))), from_json(r.at("big_decoded")), 1e-5, 1e-6);
  check_close(decode_boxes(ref, encode_boxes(ref, target)), target, 1e-3, 1e-5);  // the round trip
}

TEST_CASE("nms keeps what torchvision keeps: random, tied scores, duplicates, zero-area, 10 000 boxes" * doctest::test_suite("ch08")) {
  for (const json& c : reference().at("nms")) {
    CAPTURE(c.at("name").get<std::string>());
    const Tensor keep = nms(from_json(c.at("boxes")), from_json(c.at("scores")), c.at("threshold").get<double>());
    CHECK(keep.to_vector<int64_t>() == c.at("keep").get<std::vector<int64_t>>());
  }
  const json& b = reference().at("batched_nms");
  const Tensor labels = from_vector(b.at("labels").get<std::vector<int64_t>>(), {int64_t(b.at("labels").size())});
  const Tensor keep = batched_nms(from_json(b.at("boxes")), from_json(b.at("scores")), labels, 0.5);
  CHECK(keep.to_vector<int64_t>() == b.at("keep").get<std::vector<int64_t>>());
}

TEST_CASE("nms by hand: the higher score wins a cluster, equal scores keep their order" * doctest::test_suite("ch08")) {
  Tensor boxes = from_vector<float>({0, 0, 10, 10, 1, 1, 11, 11, 50, 50, 60, 60, 0, 0, 10, 10}, {4, 4});
  check_values(nms(boxes, tensor({0.5, 0.9, 0.3, 0.9}), 0.5), {1, 2});  // 1 and 3 tie; 1 comes first
  check_values(nms(boxes, tensor({0.5, 0.9, 0.3, 0.9}), 1.0), {1, 3, 0, 2});  // nothing overlaps more than 1
  Tensor labels = from_vector<int64_t>({0, 1, 0, 0}, {4});
  check_values(batched_nms(boxes, tensor({0.5, 0.9, 0.3, 0.9}), labels, 0.5), {1, 3, 2});  // label 1 is alone
}

TEST_CASE("boxes: clipping, small boxes, empty inputs") {
  Tensor boxes = from_vector<float>({-5, 2, 30, 40, 10, 10, 12, 30}, {2, 4});
  check_values(clip_boxes(boxes, 20, 25), {0, 2, 25, 20, 10, 10, 12, 20});
  check_values(remove_small_boxes(boxes, 3), {0});  // the second is 2 wide
  const Tensor none = zeros({0, 4});
  CHECK(nms(none, zeros({0}), 0.5).numel() == 0);
  CHECK(batched_nms(none, zeros({0}), zeros({0}, kInt64), 0.5).numel() == 0);
  CHECK(box_iou(none, boxes).shape() == Shape{0, 2});
  CHECK(remove_small_boxes(none, 1).numel() == 0);
  check_values(nonzero(tensor({0, 3, 0, -1})), {1, 3});
}

TEST_CASE("boxes: NaN, infinite and inverted boxes are errors naming the op and the box") {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH_AS(nms(from_vector<float>({0, 0, float(nan), 1}, {1, 4}), tensor({1}), 0.5),
                       doctest::Contains("nms: boxes hold nan"), Error);
  CHECK_THROWS_WITH_AS(box_iou(from_vector<float>({0, 0, float(inf), 1}, {1, 4}), zeros({0, 4})),
                       doctest::Contains("box_area: boxes hold inf"), Error);
  CHECK_THROWS_WITH_AS(clip_boxes(from_vector<float>({0, 0, 5, 5, 9, 0, 3, 4}, {2, 4}), 10, 10),
                       doctest::Contains("clip_boxes: box 1 (9, 0, 3, 4) is inverted"), Error);
  CHECK_THROWS_WITH_AS(nms(zeros({3, 5}), zeros({3}), 0.5), doctest::Contains("must be (N, 4)"), Error);
  CHECK_THROWS_WITH_AS(nms(zeros({3, 4}), zeros({2}), 0.5), doctest::Contains("must be (N)"), Error);
  CHECK_THROWS_WITH_AS(nms(zeros({3, 4}), zeros({3}), 1.5), doctest::Contains("not in [0, 1]"), Error);
}

TEST_CASE("anchors: both presets, sizes and ratios, centres on the cells, order (h, w, a)" * doctest::test_suite("ch06")) {
  CHECK(AnchorOptions::paper().count() == 9);
  CHECK(AnchorOptions::luminoth().count() == 12);
  AnchorOptions o{{16, 32}, {0.5, 2}, 8};
  // ratio 0.5 (h:w): 16 -> w 22.63, h 11.31; areas stay size^2.
  const Tensor cell = cell_anchors(o);
  CHECK(cell.shape() == Shape{4, 4});
  const double w = 16 / std::sqrt(0.5), h = 16 * std::sqrt(0.5);
  check_values(narrow(cell, 0, 0, 1), {-w / 2, -h / 2, w / 2, h / 2}, 1e-5);
  check_values(box_area(cell + 100.0), {256, 1024, 256, 1024}, 1e-3);
  const Tensor grid = grid_anchors(o, 2, 3);
  CHECK(grid.shape() == Shape{2 * 3 * 4, 4});
  // Anchor a of cell (y, x) is row (y * 3 + x) * 4 + a, centred at ((x + 0.5) 8, (y + 0.5) 8).
  const int64_t row = (1 * 3 + 2) * 4 + 3;
  check_values(narrow(grid, 0, row, 1), {20 - 16 / std::sqrt(2.0), 12 - 16 * std::sqrt(2.0), 20 + 16 / std::sqrt(2.0),
                                         12 + 16 * std::sqrt(2.0)},
               1e-4);
  CHECK(grid_anchors(o, 0, 5).numel() == 0);
  CHECK_THROWS_WITH_AS(grid_anchors({{16}, {-1}, 8}, 2, 2), doctest::Contains("ratio -1"), Error);
}

TEST_CASE("proposals equal torchvision's ops in the same steps (decode, clip, small, top-n, NMS, top-n)" * doctest::test_suite("ch08")) {
  const json& r = reference().at("proposals");
  const ProposalOptions o{r.at("pre_nms_top_n").get<int64_t>(), r.at("nms_threshold").get<double>(),
                          r.at("post_nms_top_n").get<int64_t>(), r.at("min_size").get<double>()};
  const Proposals p = propose(from_json(r.at("anchors")), from_json(r.at("objectness")), from_json(r.at("deltas")),
                              r.at("image_h").get<int64_t>(), r.at("image_w").get<int64_t>(), o);
  check_close(p.boxes, from_json(r.at("boxes")), 1e-4, 1e-6);
  check_close(p.scores, from_json(r.at("scores")), 0, 0);
  // Nothing survives: an empty result, not an error.
  const Tensor tiny = from_vector<float>({0, 0, 2, 2}, {1, 4});
  CHECK(propose(tiny, tensor({1}), zeros({1, 4}), 100, 100).boxes.shape() == Shape{0, 4});
  CHECK(propose(zeros({0, 4}), zeros({0}), zeros({0, 4}), 100, 100).scores.numel() == 0);
  // A diverged RPN: NotFinite, read with the count, before NaN boxes go further.
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH_AS(propose(from_vector<float>({0, 0, 40, 40}, {1, 4}), tensor({nan}), zeros({1, 4}), 100, 100),
                       doctest::Contains("not finite"), NotFinite);
  CHECK_THROWS_AS(propose(from_vector<float>({0, 0, 40, 40}, {1, 4}), tensor({1}), full({1, 4}, inf), 100, 100), NotFinite);
  // Gradients stop here (approximate joint training).
  Tensor deltas = zeros({1, 4}).requires_grad_();
  CHECK_FALSE(propose(from_vector<float>({0, 0, 40, 40}, {1, 4}), tensor({1}), deltas, 100, 100).boxes.requires_grad());
}

TEST_CASE("proposals: small boxes scored -inf drop out as if removed first; nms_sorted is nms's pass on sorted boxes" * doctest::test_suite("ch08")) {
  // Small boxes hold the best scores and more than pre_nms_top_n boxes are small: propose must give
  // what removing them first, then top-k, NMS and top-n give (the order of the paper's proposal layer).
  Generator gen(5);
  const int64_t n = 400;
  const Tensor xy = rand({n, 2}, gen) * 200.0, side = rand({n, 2}, gen) * 60.0;
  const Tensor anchors = concat({xy, xy + side}, 1);
  const double min_size = 20;
  const Tensor boxes = clip_boxes(decode_boxes(anchors, zeros({n, 4})), 250, 250);  // what propose decodes
  // Scores in quarters (ties, which top-k and NMS must keep in order), small boxes 10 above the rest.
  const Tensor quarters = (rand({n}, gen) * 4.0).to(kInt64).to(kFloat32) / 4.0;
  const Tensor objectness = quarters + (1.0 - boxes_at_least(boxes, min_size)) * 10.0;
  const Tensor big = remove_small_boxes(boxes, min_size);
  REQUIRE(big.numel() > 30);
  REQUIRE(n - big.numel() > 100);  // top 100: all small boxes, were they not scored -inf
  Tensor candidates, keep;
  // Top 300 and 1000 after NMS: more than the boxes left, so small boxes reach NMS and must not be kept.
  for (const ProposalOptions o : {ProposalOptions{100, 0.5, 30, min_size}, ProposalOptions{300, 0.5, 1000, min_size}}) {
    CAPTURE(o.pre_nms_top_n);
    const Proposals p = propose(anchors, objectness, zeros({n, 4}), 250, 250, o);
    const ValuesIndices top = topk(index_select(objectness, 0, big), std::min(o.pre_nms_top_n, big.numel()));
    candidates = index_select(index_select(boxes, 0, big), 0, top.indices);
    keep = nms(candidates, top.values, o.nms_threshold);
    const Tensor best = narrow(keep, 0, 0, std::min(o.post_nms_top_n, keep.numel()));
    check_close(p.boxes, index_select(candidates, 0, best), 0, 0);
    check_close(p.scores, index_select(top.values, 0, best), 0, 0);
  }
  // nms_sorted: 1 for the kept boxes of boxes already in decreasing score, as nms() lists them.
  const Tensor flags = nms_sorted(candidates, 0.5);
  CHECK(flags.dtype() == kInt64);
  CHECK(nonzero(flags).to_vector<int64_t>() == keep.to_vector<int64_t>());
  CHECK(nms_sorted(zeros({0, 4}), 0.5).numel() == 0);
  CHECK_THROWS_WITH_AS(nms_sorted(candidates, 2), doctest::Contains("not in [0, 1]"), Error);
}

TEST_CASE("nonzero with a count read by the caller; TrustedGpuValues leaves CPU checks on") {
  const Tensor x = tensor({0, 3, 0, -1, 2});
  check_values(nonzero(x, 3), {1, 3, 4});
  CHECK_THROWS_WITH_AS(nonzero(x, 6), doctest::Contains("nonzero: count 6"), Error);
  CHECK_THROWS_WITH_AS(nonzero(x, 2), doctest::Contains("with 3 non-zero elements"), Error);  // would overflow
  CHECK_THROWS_WITH_AS(nonzero(x, -1), doctest::Contains("nonzero: count -1"), Error);
  const TrustedGpuValues trusted;  // skips only the reads of GPU values
  CHECK(values_checked(x));
  CHECK_THROWS_WITH_AS(clip_boxes(from_vector<float>({9, 0, 3, 4}, {1, 4}), 10, 10), doctest::Contains("is inverted"), Error);
  CHECK_THROWS_WITH_AS(index_select(x, 0, from_vector<int64_t>({5}, {1})), doctest::Contains("out of range"), Error);
  CHECK_THROWS_WITH_AS(cross_entropy(zeros({1, 2}), from_vector<int64_t>({2}, {1})), doctest::Contains("not a class"), Error);
}

TEST_CASE("match: thresholds, ignored band, each truth's best candidates, no truth" * doctest::test_suite("ch07")) {
  // 2 ground-truth boxes x 5 candidates.
  const Tensor iou = from_vector<float>({0.8f, 0.5f, 0.1f, 0.2f, 0.0f,  //
                                         0.1f, 0.6f, 0.25f, 0.6f, 0.0f},
                                        {2, 5});
  check_values(match(iou, {0.7, 0.3, false}), {0, kIgnored, kBackground, kIgnored, kBackground});
  // Truth 1 reaches only 0.6: its best candidates (1 and 3, a tie) are matched to it anyway.
  check_values(match(iou, {0.7, 0.3, true}), {0, 1, kBackground, 1, kBackground});
  check_values(match(zeros({0, 3}), {}), {kBackground, kBackground, kBackground});
  CHECK(match(zeros({2, 0}), {}).numel() == 0);
}

TEST_CASE("sample_balanced: at most the fraction positive, without replacement, the same for a seed" * doctest::test_suite("ch07")) {
  std::vector<int64_t> m(100, kBackground);
  for (int i = 0; i < 10; ++i) m[i * 7] = i % 3;  // 10 positives
  m[1] = kIgnored;
  const Tensor matches = from_vector(m, {100});
  Generator a(5), b(5);
  const BalancedSample s = sample_balanced(matches, 16, 0.25, a);
  CHECK(s.positive.numel() == 4);
  CHECK(s.negative.numel() == 12);
  CHECK(sum(index_counts(100, concat({s.positive, s.negative}, 0), kInt64)).item() == 16);  // no index twice
  for (int64_t i : s.positive.to_vector<int64_t>()) CHECK(m[i] >= 0);
  for (int64_t i : s.negative.to_vector<int64_t>()) CHECK(m[i] == kBackground);
  CHECK(sample_balanced(matches, 16, 0.25, b).negative.to_vector<int64_t>() == s.negative.to_vector<int64_t>());
  const BalancedSample all = sample_balanced(matches, 1000, 0.5, a);  // fewer exist than asked
  CHECK(all.positive.numel() == 10);
  CHECK(all.negative.numel() == 89);
}

TEST_CASE("RPN: head shapes and names, targets (border, fallback, coding), losses by hand" * doctest::test_suite("ch07")) {
  Generator gen(3);
  RpnHead head(8, 16, 3, gen);
  const NamedTensors params = head.named_parameters();
  CHECK(params.at(0).first == "conv.weight");
  CHECK(params.at(2).first == "cls_logits.weight");
  CHECK(params.at(4).first == "bbox_pred.weight");
  const double std = std::sqrt(mean(pow(head.conv->weight, 2)).item());
  CHECK(std == doctest::Approx(0.01).epsilon(0.1));
  const RpnHead::Outputs out = head.predict(randn({1, 8, 4, 5}, gen));
  CHECK(out.objectness.shape() == Shape{4 * 5 * 3, 2});
  CHECK(out.deltas.shape() == Shape{4 * 5 * 3, 4});

  // A 64 x 64 image, stride 16, anchors of 16 and 32 pixels: 4 x 4 cells x 2.
  const Tensor anchors = grid_anchors({{16, 32}, {1}, 16}, 4, 4);
  // One box matching an anchor exactly, one that no anchor overlaps by 0.7 (the fallback makes it fg).
  const Tensor truth = from_vector<float>({16, 16, 32, 32, 36, 30, 60, 50}, {2, 4});
  RpnTargetOptions o;
  o.batch_size = 12;
  const RpnTargets t = rpn_targets(anchors, truth, 64, 64, o, gen);
  const std::vector<int64_t> labels = t.labels.to_vector<int64_t>();
  CHECK(t.sampled == 12);
  CHECK(std::count(labels.begin(), labels.end(), 1) == 2);  // one per box, the fallback's included
  CHECK(std::count(labels.begin(), labels.end(), 0) == 10);
  // The 32-pixel anchors of border cells reach outside the image: never sampled.
  const std::vector<float> a = anchors.to_vector<float>();
  for (size_t i = 0; i < labels.size(); ++i)
    if (a[4 * i] < 0 || a[4 * i + 2] > 64) CHECK(labels[i] == -1);
  // An object anchor's target decodes back to its box.
  const int64_t first = std::find(labels.begin(), labels.end(), 1) - labels.begin();
  const Tensor back = decode_boxes(narrow(anchors, 0, first, 1), narrow(t.box_targets, 0, first, 1));
  CHECK((max(abs(back - narrow(truth, 0, 0, 1))).item() < 1e-4 || max(abs(back - narrow(truth, 0, 1, 1))).item() < 1e-4));

  // Zero logits: log 2 per sampled anchor; zero deltas: the Smooth L1 of the targets over 12.
  RpnHead::Outputs zero{zeros({32, 2}).requires_grad_(), zeros({32, 4}).requires_grad_()};
  const RpnLosses l = rpn_losses(zero, t);
  CHECK(l.objectness.item() == doctest::Approx(std::log(2.0)));
  CHECK(l.box.item() == doctest::Approx(smooth_l1_loss(zeros({32, 4}), t.box_targets, 3.0, t.box_weights, 12).item()));
  (l.objectness + l.box).backward();
  CHECK(zero.deltas.grad().defined());
  // No ground truth: every sampled anchor is background, and the box loss is 0.
  const RpnTargets none = rpn_targets(anchors, zeros({0, 4}), 64, 64, o, gen);
  CHECK(sum(eq(none.labels, full({}, 0, kInt64))).item() == 12);
  CHECK(rpn_losses(zero, none).box.item() == 0);
}

TEST_CASE("R-CNN: head names and shapes, targets with the ground truth added, true-class box loss" * doctest::test_suite("ch10")) {
  Generator gen(11);
  RcnnHead head(4 * 2 * 2, 8, 3, 0.5, gen);
  const NamedTensors p = head.named_parameters();
  CHECK(p.at(0).first == "box_head.fc6.weight");
  CHECK(p.at(4).first == "box_predictor.cls_score.weight");
  CHECK(p.at(6).first == "box_predictor.bbox_pred.weight");
  const RcnnHead::Outputs out = head.predict(randn({5, 4, 2, 2}, gen));
  CHECK(out.class_logits.shape() == Shape{5, 4});
  CHECK(out.deltas.shape() == Shape{5, 12});

  // Two objects of classes 2 and 0; proposals: one on object 0, one half on it, two far away.
  const Tensor truth = from_vector<float>({10, 10, 50, 50, 60, 60, 90, 100}, {2, 4});
  const Tensor classes = from_vector<int64_t>({2, 0}, {2});
  const Tensor proposals = from_vector<float>({12, 10, 50, 52, 30, 10, 70, 50, 0, 100, 10, 110, 100, 0, 120, 20}, {4, 4});
  RcnnTargetOptions o;
  o.batch_size = 6;
  o.positive_fraction = 0.5;
  const RcnnSample s = rcnn_targets(proposals, truth, classes, o, gen);
  // Objects: proposal 0 and the two ground-truth boxes (IoU 1); proposal 1 (IoU 1/3) is background.
  const std::vector<int64_t> labels = s.labels.to_vector<int64_t>();
  CHECK(labels.size() == 6);
  CHECK(std::count(labels.begin(), labels.end(), 3) == 2);  // class 2 + 1: proposal 0 and its truth box
  CHECK(std::count(labels.begin(), labels.end(), 1) == 1);
  CHECK(std::count(labels.begin(), labels.end(), 0) == 3);
  // A ground-truth RoI's target is 0 (the box itself).
  const Tensor coded = encode_boxes(s.rois, s.rois);
  CHECK(max(abs(coded)).item() == 0);

  // The box loss sees only the true class's deltas: deltas of other classes change nothing.
  Tensor deltas = zeros({6, 12}).requires_grad_();
  const RcnnLosses l = rcnn_losses({zeros({6, 4}), deltas}, s);
  CHECK(l.classification.item() == doctest::Approx(std::log(4.0)));
  l.box.backward();
  const std::vector<float> g = deltas.grad().to_vector<float>();
  for (int64_t r = 0; r < 6; ++r)
    for (int64_t c = 0; c < 12; ++c)
      if (labels[r] == 0 || c / 4 != labels[r] - 1) CHECK(g[r * 12 + c] == 0);
  // Nothing to learn from: no ground truth, only background.
  const RcnnSample bg = rcnn_targets(proposals, zeros({0, 4}), zeros({0}, kInt64), o, gen);
  CHECK(sum(bg.labels).item() == 0);
}

TEST_CASE("post-processing: softmax, class-specific decode, threshold, per-class NMS, top-k, original scale" * doctest::test_suite("ch10")) {
  // Three RoIs, two classes; RoIs 0 and 1 overlap (IoU 0.82) and both say class 1; RoI 2 says class 0.
  const Tensor rois = from_vector<float>({0, 0, 20, 20, 1, 1, 21, 21, 40, 40, 60, 80}, {3, 4});
  const Tensor logits = from_vector<float>({0, 0, 5, 0, 0, 4, 0, 6, 0}, {3, 3});
  RcnnHead::Outputs out{logits, zeros({3, 8})};
  std::vector<Detection> d = postprocess(out, rois, 100, 100, 2.0, "img");
  REQUIRE(d.size() == 2);  // class 0: RoI 2; class 1: RoI 0 (RoI 1 suppressed); the rest score below 0.05
  CHECK(d[0].label == 0);
  CHECK(d[0].box == Box{20, 20, 30, 40});  // RoI 2 at half scale
  CHECK(d[1].label == 1);
  CHECK(d[1].score == doctest::Approx(std::exp(5.0) / (2 + std::exp(5.0))));
  CHECK(d[1].box == Box{0, 0, 10, 10});
  PostprocessOptions one;
  one.max_per_image = 1;
  CHECK(postprocess(out, rois, 100, 100, 1.0, "img", one).size() == 1);
  PostprocessOptions per_class = PostprocessOptions::luminoth();  // NMS 0.5: RoI 1 still suppressed
  per_class.max_per_class = 1;
  per_class.score_threshold = 0.001;  // now every (RoI, class) pair scores above it
  const std::vector<Detection> capped = postprocess(out, rois, 100, 100, 1.0, "img", per_class);
  CHECK(capped.size() == 2);  // one per class
  CHECK(capped[0].label != capped[1].label);
  CHECK(postprocess({zeros({0, 3}), zeros({0, 8})}, zeros({0, 4}), 100, 100, 1.0, "img").empty());
}

TEST_CASE("chapter 06's figures: 5 400 anchors, 828 inside, the deltas of its example" * doctest::test_suite("ch06")) {
  const Tensor anchors = grid_anchors(AnchorOptions::paper(), 20, 30);
  CHECK(anchors.size(0) == 5400);
  CHECK(sum(boxes_inside(anchors, 320, 480)).item() == 828);
  const Tensor d = encode_boxes(from_vector<float>({176, 96, 304, 224}, {1, 4}), from_vector<float>({190, 120, 330, 210}, {1, 4}));
  check_values(d, {1.5625, 0.390625, std::log(140.0 / 128) / 0.2, std::log(90.0 / 128) / 0.2}, 1e-5);
}

TEST_CASE("chapter 08's figures: the six boxes' IoUs and what NMS keeps" * doctest::test_suite("ch08")) {
  const Tensor boxes = from_vector<float>({10, 10, 60, 60, 12, 14, 62, 58, 80, 20, 130, 80, 8, 6, 58, 62, 84, 24, 128, 76,
                                           150, 40, 190, 90},
                                          {6, 4});
  const Tensor iou = box_iou(boxes, boxes);
  CHECK(iou.at({0, 1}) == doctest::Approx(2112.0 / 2588).epsilon(1e-6));
  CHECK(iou.at({0, 1}) == doctest::Approx(0.82).epsilon(0.01));
  CHECK(iou.at({0, 3}) == doctest::Approx(0.83).epsilon(0.01));
  CHECK(iou.at({4, 2}) == doctest::Approx(0.76).epsilon(0.01));
  check_values(nms(boxes, tensor({0.9, 0.75, 0.8, 0.6, 0.85, 0.4}), 0.5), {0, 4, 5});
}

TEST_CASE("chapter 09's bilinear sample: 2.75 between the four cells of [[1, 2], [3, 4]]" * doctest::test_suite("ch09")) {
  const Tensor map = from_vector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  const Tensor box = from_vector<float>({0.25f, 0, 1.25f, 1}, {1, 4});
  CHECK(roi_align(map, box, zeros({1}, kInt64), {1, 1.0, 1, false}).item() == doctest::Approx(2.75));
  // RoIs outside the map pool to zero, not to garbage.
  CHECK(roi_align(map, from_vector<float>({10, 10, 12, 12}, {1, 4}), zeros({1}, kInt64), {1, 1.0, 1, false}).item() == 0);
}

TEST_CASE("chapter 05's figures: VGG16 to conv5_3 has stride 16 and a 196-pixel receptive field" * doctest::test_suite("ch05")) {
  const auto features = models::vgg16_features(16, /*stride=*/16);
  int64_t stride = 1, field = 1;
  for (const auto& layer : features->layers()) {
    if (auto* c = dynamic_cast<nn::Conv2d*>(layer.get())) field += (c->weight.size(2) - 1) * stride;
    if (auto* p = dynamic_cast<nn::MaxPool2d*>(layer.get())) field += (p->options.kernel - 1) * stride, stride *= 2;
  }
  CHECK(stride == 16);
  CHECK(field == 196);
  NoGradGuard no_grad;
  CHECK(features->forward(zeros({1, 3, 300, 451})).shape() == Shape{1, 32, 18, 28});
}
