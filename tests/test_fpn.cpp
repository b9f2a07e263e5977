// The feature-pyramid detector against torchvision 0.14's fasterrcnn_resnet50_fpn, stage by stage
// (tests/reference/fpn.safetensors, made by make_fpn_reference.py): both hold the same weights, a
// formula of each parameter's name loaded by name, and see the same inputs. Each stage is fed
// torchvision's own inputs where it has them (the proposals from its RPN outputs, the detections from
// its head's outputs), so a difference is that stage's, not an earlier one's carried along.
#include <doctest/doctest.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "detection/anchors.h"
#include "detection/faster_rcnn.h"
#include "detection/multi_scale_roi_align.h"
#include "detection/postprocess.h"
#include "detection/proposals.h"
#include "layers/functional.h"
#include "layers/safetensors.h"
#include "models/fpn.h"
#include "ops/ops.h"
#include "tests/helpers.h"

using namespace rcnn;
namespace fs = std::filesystem;

namespace {

const char* const kFixture = "tests/reference/fpn.safetensors";

// make_fpn_reference.py's hashed(): n numbers in [-1, 1) that look random.
std::vector<double> hashed(int64_t n, int64_t key) {
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double s = std::sin(static_cast<double>(i) * 12.9898 + static_cast<double>(key) * 78.233) * 43758.5453;
    v[static_cast<size_t>(i)] = 2 * (s - std::floor(s)) - 1;
  }
  return v;
}

// make_fpn_reference.py's hashed_fill(), by our parameter names (torchvision's).
void hashed_fill(Module& m) {
  auto ends_with = [](const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  };
  for (const auto& [name, t] : m.named_parameters()) {
    const int64_t n = t.numel();
    const auto key = static_cast<int64_t>(crc32(0, reinterpret_cast<const Bytef*>(name.data()), static_cast<uInt>(name.size())) % 1000);
    const std::vector<double> u = hashed(n, key);
    std::vector<float> v(static_cast<size_t>(n));
    const double scale = t.dim() > 1 ? std::sqrt(3.0 / static_cast<double>(n / t.size(0))) *
                                           (name.find("bbox_pred") != std::string::npos ? 0.1 : 1.0)
                                     : 0;
    for (size_t i = 0; i < v.size(); ++i) {
      double value;
      if (ends_with(name, "running_var")) value = 1 + 0.25 * (1 + u[i]);
      else if (ends_with(name, "running_mean")) value = 0.05 * u[i];
      else if (t.dim() == 1 && ends_with(name, "weight")) value = 1 + 0.1 * u[i];
      else if (t.dim() == 1) value = 0.05 * u[i];
      else value = scale * u[i];
      v[i] = static_cast<float>(value);
    }
    t.copy_(from_vector(v, t.shape()));
  }
}

Tensor hashed_image(int64_t h, int64_t w) {
  const int64_t n = 3 * h * w;
  const std::vector<double> u = hashed(n, 7);
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[static_cast<size_t>(i)] = static_cast<float>(std::sin(0.01 * static_cast<double>(i)) + u[static_cast<size_t>(i)]);
  return from_vector(v, {1, 3, h, w});
}

// make_fpn_reference.py's sample(): every (numel / 997)-th element, in float64.
Tensor sample(const Tensor& t) {
  const std::vector<double> flat = t.to(kFloat64).to_vector<double>();
  const size_t step = std::max<size_t>(1, flat.size() / 997);
  std::vector<double> out;
  for (size_t i = 0; i < flat.size(); i += step) out.push_back(flat[i]);
  return from_vector(out, {static_cast<int64_t>(out.size())});
}

std::vector<double> checksum(const Tensor& anchors) {
  const std::vector<double> a = anchors.to(kFloat64).to_vector<double>();
  double total = 0, weighted = 0;
  for (size_t r = 0; r < a.size() / 4; ++r) {
    const double* x = a.data() + 4 * r;
    total += x[0] + x[1] + x[2] + x[3];
    weighted += static_cast<double>(r + 1) * (x[0] + 2 * x[1] + 3 * x[2] + 4 * x[3]);
  }
  return {total, weighted};
}

// Within a relative tolerance of the largest value: float32 through ~60 layers, summed differently.
void check_near(const Tensor& got, const Tensor& want, double relative, const char* what) {
  INFO(what);
  const std::vector<double> g = got.to(kFloat64).to_vector<double>(), w = want.to(kFloat64).to_vector<double>();
  REQUIRE(g.size() == w.size());
  double largest = 0;
  for (double x : w) largest = std::max(largest, std::abs(x));
  const std::string m = rcnn::testing::mismatch(g, w, relative * largest, 0);
  CHECK_MESSAGE(m.empty(), m);
}

struct Fixture {
  std::map<std::string, Tensor> t;
  std::vector<std::string> names;
  Fixture() {
    Metadata meta;
    for (auto& [name, value] : load_safetensors(kFixture, &meta)) t[name] = value;
    names = nlohmann::json::parse(meta.at("names")).get<std::vector<std::string>>();
  }
  const Tensor& operator[](const std::string& name) const {
    auto it = t.find(name);
    REQUIRE_MESSAGE(it != t.end(), kFixture, " has no ", name, ": make reference");
    return it->second;
  }
};

struct Model {
  DetectorConfig config = load_config("configs/voc07_resnet50_fpn.yaml", {"backbone.weights="});
  Generator gen{0};
  FasterRcnn net{config, 3, gen};
  Model() {
    hashed_fill(net);
    net.eval();
  }
};

// Every stage of one input, in `dtype`, against the fixture's `tag` ("a", "b": float32; "a64": float64),
// within `tol` of the largest value (float32 through ~60 layers: 1e-5; float64: 1e-6). With `full`, the
// stages after the RPN too: pooling, head and level of torchvision's proposals; and in float64, where our
// RPN and head outputs equal torchvision's to far below any score gap, the proposals and detections made
// from ours: the same boxes in the same order, so the same per-level top-k and NMS keep lists.
void check_stages(Model& model, const Fixture& want, const std::string& tag, int64_t h, int64_t w, bool full, DType dtype,
                  double tol) {
  CAPTURE(tag);
  NoGradGuard no_grad;
  const Tensor x = hashed_image(h, w).to(dtype);
  const std::vector<Tensor> maps = model.net.backbone->forward_maps(x);
  REQUIRE(maps.size() == 5);
  CHECK(model.net.backbone->map_strides() == std::vector<int64_t>{4, 8, 16, 32, 64});
  std::vector<std::pair<int64_t, int64_t>> sizes;
  for (size_t l = 0; l < maps.size(); ++l) {
    const std::string key = tag + ".map" + std::to_string(l);
    CHECK(maps[l].shape() == Shape{1, 256, (h + (4 << l) - 1) / (4 << l), (w + (4 << l) - 1) / (4 << l)});
    check_near(sample(maps[l]), want[key + ".sample"], tol, key.c_str());
    const std::vector<double> stats = want[key + ".stats"].to_vector<double>();
    CHECK(sum(maps[l].to(kFloat64)).item() == doctest::Approx(stats[0]).epsilon(10 * tol));
    CHECK(sum(abs(maps[l].to(kFloat64))).item() == doctest::Approx(stats[1]).epsilon(tol));
    sizes.emplace_back(maps[l].size(2), maps[l].size(3));
  }
  // Anchors: whole pixels, so their checksums are exact.
  const PyramidAnchors anchors = pyramid_anchors(model.config.anchors, h, w, sizes);
  int64_t start = 0;
  for (size_t l = 0; l < sizes.size(); ++l) {
    const std::vector<double> expected = want[tag + ".anchors" + std::to_string(l)].to_vector<double>();
    CHECK(checksum(narrow(anchors.anchors, 0, start, anchors.per_level[l])) == expected);
    start += anchors.per_level[l];
  }
  const RpnHead::Outputs rpn = model.net.rpn->head->predict(maps);
  check_near(sample(object_logits(rpn)), want[tag + ".objectness_sample"], tol, "objectness");
  check_near(sample(rpn.deltas), want[tag + ".deltas_sample"], tol, "deltas");
  if (!full) return;

  const bool exact = dtype == kFloat64;
  const Tensor& proposals = want[tag + ".proposals"];
  if (exact) {
    const Tensor anchor_boxes = anchors.anchors.to(dtype);
    for (const auto& [key, options] : {std::pair<std::string, ProposalOptions>{tag + ".proposals", model.config.rpn.test},
                                       {"train.proposals", model.config.rpn.train}}) {
      CAPTURE(key);
      const Proposals p = propose_per_level(anchor_boxes, object_logits(rpn), rpn.deltas, anchors.per_level, h, w, options,
                                            model.config.rpn.targets.coding);
      REQUIRE(p.boxes.shape() == want[key].shape());
      rcnn::testing::check_close(p.boxes, want[key], 1e-6, 0);
      if (key == tag + ".proposals") rcnn::testing::check_close(sigmoid(p.scores), want[tag + ".proposal_scores"], 1e-9, 0);
    }
  }

  // The level of each RoI (equation 1), on the proposals and on boxes at the formula's edges.
  CHECK(roi_levels(proposals, 2, 5).to_vector<int64_t>() == want[tag + ".levels"].to_vector<int64_t>());
  CHECK(roi_levels(want[tag + ".fixed_boxes"], 2, 5).to_vector<int64_t>() == std::vector<int64_t>{0, 0, 1, 1, 2, 2, 3, 3});
  CHECK(want[tag + ".fixed_levels"].to_vector<int64_t>() == std::vector<int64_t>{0, 0, 1, 1, 2, 2, 3, 3});

  // Multi-scale RoIAlign on our maps: every level, back in the RoIs' order.
  const std::vector<Tensor> pooled_maps(maps.begin(), maps.end() - 1);
  auto pool = [&](const Tensor& boxes) {
    return multi_scale_roi_align(pooled_maps, {4, 8, 16, 32}, boxes, zeros({boxes.size(0)}, kInt64), model.config.roi.align);
  };
  check_near(sample(pool(want[tag + ".fixed_boxes"])), want[tag + ".fixed_pooled_sample"], tol, "pooled fixed boxes");
  const Tensor pooled = pool(proposals);
  check_near(sum(pooled.to(kFloat64), {1, 2, 3}), want[tag + ".pooled_sums"], tol, "pooled sums");
  check_near(sample(pooled), want[tag + ".pooled_sample"], tol, "pooled");

  // TwoMLPHead and the predictor; ours gives out the object classes' deltas (torchvision's columns 4..).
  const RcnnHead::Outputs head = model.net.roi_heads->predict(pooled);
  check_near(sample(head.class_logits), want[tag + ".class_logits_sample"], tol, "class logits");
  check_near(sample(head.deltas), want[tag + ".box_regression_sample"], tol, "box regression");
  if (!exact) return;

  // Detections: the same boxes, scores and classes, in the same order.
  const std::vector<Detection> detections = postprocess(head, proposals, h, w, 1.0, tag, model.config.test);
  const std::vector<double> boxes = want[tag + ".det_boxes"].to_vector<double>();
  const std::vector<double> scores = want[tag + ".det_scores"].to_vector<double>();
  const std::vector<int64_t> labels = want[tag + ".det_labels"].to_vector<int64_t>();
  REQUIRE(detections.size() == labels.size());
  size_t same = 0;
  for (size_t i = 0; i < detections.size(); ++i) {
    const Detection& d = detections[i];
    same += d.label + 1 == labels[i] && std::abs(d.score - scores[i]) < 1e-6 && std::abs(d.box.x1 - boxes[4 * i]) < 1e-3 &&
            std::abs(d.box.y1 - boxes[4 * i + 1]) < 1e-3 && std::abs(d.box.x2 - boxes[4 * i + 2]) < 1e-3 &&
            std::abs(d.box.y2 - boxes[4 * i + 3]) < 1e-3;
  }
  CHECK(same == detections.size());
}

}  // namespace

TEST_SUITE("ch16") {

TEST_CASE("fasterrcnn_resnet50_fpn in float32: torchvision's parameter names one for one, and every stage as torchvision's" *
          doctest::skip(!fs::exists(kFixture))) {
  const Fixture want;
  Model model;
  std::vector<std::string> names;
  for (const auto& [name, t] : model.net.named_parameters()) names.push_back(name);
  CHECK(names == want.names);  // so torchvision's weights load by name, without a renaming table
  check_stages(model, want, "a", 320, 320, /*full=*/true, kFloat32, 1e-5);
  check_stages(model, want, "b", 256, 384, /*full=*/false, kFloat32, 1e-5);
}

TEST_CASE("fasterrcnn_resnet50_fpn in float64: every stage as torchvision's to 1e-6, proposals and detections exactly" *
          doctest::skip(!fs::exists(kFixture))) {
  const Fixture want;
  Model model;
  model.net.to(kFloat64);
  check_stages(model, want, "a64", 320, 320, /*full=*/true, kFloat64, 1e-6);
}

TEST_CASE("fasterrcnn_resnet50_fpn in float64: the RPN's matches and both losses on torchvision's sampled anchors and RoIs" *
          doctest::skip(!fs::exists(kFixture))) {
  const Fixture want;
  Model model;
  model.net.to(kFloat64);
  const Tensor x = hashed_image(320, 320).to(kFloat64);
  const std::vector<Tensor> maps = model.net.backbone->forward_maps(x);
  std::vector<std::pair<int64_t, int64_t>> sizes;
  for (const Tensor& m : maps) sizes.emplace_back(m.size(2), m.size(3));
  const Tensor anchors = pyramid_anchors(model.config.anchors, 320, 320, sizes).anchors.to(kFloat64);
  const Tensor& truth = want["train.truth"];
  const int64_t A = anchors.size(0);

  // Matching every anchor (deterministic): torchvision's objects and in-between anchors are ours, and
  // every other anchor is background.
  const Tensor matches = match(box_iou(truth, anchors), model.config.rpn.targets.matcher);
  std::vector<int64_t> objects, between;
  const std::vector<int64_t> ours = matches.to_vector<int64_t>();
  for (size_t i = 0; i < ours.size(); ++i) {
    if (ours[i] >= 0) objects.push_back(static_cast<int64_t>(i));
    if (ours[i] == kIgnored) between.push_back(static_cast<int64_t>(i));
  }
  CHECK(objects == want["train.rpn_objects"].to_vector<int64_t>());
  CHECK(between == want["train.rpn_between"].to_vector<int64_t>());
  CHECK(!objects.empty());

  // The RPN's losses on torchvision's sampled anchors and our head's outputs (one logit per anchor:
  // sigmoid cross-entropy, as (0, x) through softmax cross-entropy).
  const Tensor positive = want["train.rpn_positive"], negative = want["train.rpn_negative"];
  std::vector<int64_t> labels(static_cast<size_t>(A), -1);
  for (int64_t i : positive.to_vector<int64_t>()) labels[static_cast<size_t>(i)] = 1;
  for (int64_t i : negative.to_vector<int64_t>()) labels[static_cast<size_t>(i)] = 0;
  RpnTargets targets;
  targets.labels = from_vector(labels, {A});
  targets.box_weights = unsqueeze(eq(targets.labels, scalar_like(targets.labels, 1)).to(kFloat64), 1);
  const Tensor matched_truth = index_select(truth, 0, clamp(matches, 0, static_cast<double>(truth.size(0) - 1)));
  targets.box_targets = encode_boxes(anchors, matched_truth, model.config.rpn.targets.coding) * targets.box_weights;
  targets.sampled = positive.numel() + negative.numel();
  const RpnLosses rpn = rpn_losses(model.net.rpn->head->predict(maps), targets, model.config.rpn.sigma);
  CHECK(rpn.objectness.item() == doctest::Approx(want["train.loss_objectness"].item()).epsilon(1e-5));
  CHECK(rpn.box.item() == doctest::Approx(want["train.loss_rpn_box_reg"].item()).epsilon(1e-5));

  // The R-CNN's losses on torchvision's sampled RoIs, pooled from our maps through our head.
  const Tensor& rois = want["train.rois"];
  std::vector<Tensor> pooled_maps(maps.begin(), maps.end() - 1);
  const Tensor pooled = multi_scale_roi_align(pooled_maps, {4, 8, 16, 32}, rois, zeros({rois.size(0)}, kInt64),
                                              model.config.roi.align);
  const RcnnSample sample{rois, want["train.roi_labels"], want["train.roi_regression"]};
  const RcnnLosses rcnn = rcnn_losses(model.net.roi_heads->predict(pooled), sample, model.config.rcnn.sigma);
  CHECK(rcnn.classification.item() == doctest::Approx(want["train.loss_classifier"].item()).epsilon(1e-4));
  CHECK(rcnn.box.item() == doctest::Approx(want["train.loss_box_reg"].item()).epsilon(1e-4));
  // The positives' regression targets are what ours codes from their best ground truth.
  const std::vector<int64_t> roi_labels = want["train.roi_labels"].to_vector<int64_t>();
  const Tensor best = argmax(box_iou(truth, rois), 0);
  const Tensor coded = encode_boxes(rois, index_select(truth, 0, best), model.config.rcnn.targets.coding);
  std::vector<int64_t> objects_sampled;  // torchvision keeps its samples in proposal order, objects among them
  for (size_t i = 0; i < roi_labels.size(); ++i)
    if (roi_labels[i] > 0) objects_sampled.push_back(static_cast<int64_t>(i));
  CHECK(objects_sampled.size() >= 3);
  const Tensor rows = from_vector(objects_sampled, {static_cast<int64_t>(objects_sampled.size())});
  check_near(index_select(coded, 0, rows), index_select(want["train.roi_regression"], 0, rows), 1e-5, "regression targets");
}

TEST_CASE("feature pyramids: clear errors for a backbone or a config that cannot feed one") {
  auto error_of = [](std::vector<std::string> overrides) {
    overrides.push_back("backbone.weights=");
    try {
      Generator gen(0);
      FasterRcnn(load_config("configs/voc07_resnet50_fpn.yaml", overrides), 3, gen);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error_of({"backbone.name=vgg16", "anchors.stride=16"}) ==
        "backbone.fpn_levels on vgg16: a feature pyramid needs a backbone whose stage ends it can read; this one has none");
  CHECK(error_of({"backbone.fpn_levels=[4, 8, 12]"}) ==
        "backbone.fpn_levels on resnet50: a feature pyramid level of stride 12: the backbone's stages end at strides 4, 8, 16, 32");
  CHECK(error_of({"anchors.sizes=[32, 64, 128]"}) ==
        "anchors.sizes: the pyramid has 5 levels (fpn_levels and its pool level), one anchor size each; 3 sizes given");
  CHECK(error_of({"anchors.stride=16"}) == "anchors.stride is 16 but the resnet50 pyramid's finest map has stride 4");
  CHECK(error_of({"roi.method=pool"}) == "roi.method: a pyramid pools its RoIs with align (MultiScaleRoIAlign), not pool");
}

}  // TEST_SUITE
