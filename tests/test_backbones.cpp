// Pretrained backbones (suite backbones): MobileNetV2 with the ImageNet weights in ../shared/weights
// computes torchvision's logits on real photographs and names what they show. The photographs and the
// weights stay in ../shared (never committed); the test skips, saying so, where they are absent.
// Fixture: `make reference` runs this test with RCNN_WRITE_FIXTURES=1, which writes the preprocessed
// photographs (tests/reference/mobilenet_inputs.safetensors, not committed), then
// tests/reference/make_backbone_reference.py runs torchvision 0.14 on them (tests/reference/mobilenet_v2.json).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "datasets/image.h"
#include "datasets/transforms.h"
#include "datasets/voc.h"
#include "layers/safetensors.h"
#include "models/mobilenet_v2.h"
#include "models/resnet.h"
#include "ops/ops.h"
#include "tests/files.h"

using namespace rcnn;
namespace fs = std::filesystem;

namespace {

const std::string kWeights = "../shared/weights/mobilenet_v2_imagenet.safetensors";
const std::string kClassNames = "../shared/weights/imagenet_classes.txt";
const std::string kFruit = "../shared/data/fruit/VOCdevkit/VOC2007";

// Weights both sides compute from a formula of the name and the element index (the same formula is in
// tests/reference/make_backbone_reference.py), so checking ResNet-50 against torchvision needs no 100 MB
// fixture: batch norm statistics near 1 and 0, every other tensor sqrt(1 / fan_in) sqrt(2) sin(0.7 i + 0.3).
void formula_fill(Module& m) {
  auto ends_with = [](const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  };
  for (const auto& [name, t] : m.named_parameters()) {
    const int64_t n = t.numel(), fan_in = t.dim() > 1 ? n / t.size(0) : 1;
    std::vector<float> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const double x = static_cast<double>(i);
      double value;
      if (ends_with(name, "running_var")) value = 1 + 0.25 * (1 + std::sin(0.37 * x));
      else if (ends_with(name, "running_mean")) value = 0.05 * std::sin(0.51 * x);
      else if (t.dim() == 1 && ends_with(name, "weight")) value = 1 + 0.1 * std::sin(0.29 * x);
      else if (t.dim() == 1) value = 0.05 * std::cos(0.43 * x);  // biases
      else value = std::sqrt(2.0 / static_cast<double>(fan_in)) * std::sin(0.7 * x + 0.3);
      v[static_cast<size_t>(i)] = static_cast<float>(value);
    }
    t.copy_(from_vector(v, t.shape()));
  }
}

Tensor formula_image(int64_t size) {
  std::vector<float> v(static_cast<size_t>(3 * size * size));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(std::sin(0.01 * static_cast<double>(i)));
  return from_vector(v, {1, 3, size, size});
}

}  // namespace

TEST_SUITE("backbones") {

TEST_CASE("ResNet-50 (C4 backbone + conv5 head + fc) computes what torchvision's resnet50 computes") {
  const std::string fixture = "tests/reference/resnet50.json";
  REQUIRE_MESSAGE(fs::exists(fixture), fixture, " is missing: make reference");
  const nlohmann::json want = nlohmann::json::parse(rcnn::testing::read_file(fixture));
  models::ResNet50 net;
  formula_fill(net);
  net.eval();
  const Tensor x = formula_image(64);
  const Tensor c4 = net.c4->forward(x);
  CHECK(c4.shape() == Shape{1, 1024, 4, 4});  // stride 16
  CHECK(net.c4->stride == 16);
  const std::vector<float> logits = net.classify(x).to_vector<float>();
  const std::vector<double> expected = want["logits"].get<std::vector<double>>();
  REQUIRE(logits.size() == expected.size());
  double worst = 0, largest = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    worst = std::max(worst, std::abs(logits[i] - expected[i]));
    largest = std::max(largest, std::abs(expected[i]));
  }
  CHECK(worst <= 1e-4 * largest);
  CHECK(sum(c4).item() == doctest::Approx(want["c4_sum"].get<double>()).epsilon(1e-4));
  // torchvision's parameter names, one for one (its num_batches_tracked counters aside).
  std::vector<std::string> names;
  for (const auto& [name, t] : net.named_parameters()) names.push_back(name);
  CHECK(names == want["names"].get<std::vector<std::string>>());
}


// Skipped (and counted so by doctest's summary) without the ImageNet weights and the photographs:
// the README's "Real photographs" says how to get both.
TEST_CASE("MobileNetV2: torchvision's logits on real photographs, and the right ImageNet classes" *
          doctest::skip(!fs::exists(kWeights) || !fs::exists(kFruit))) {
  models::MobileNetV2 net;
  NamedTensors weights = load_safetensors(kWeights);
  size_t extra = 0;
  for (const auto& [name, t] : weights) extra += name.size() > 19 && name.rfind("num_batches_tracked") == name.size() - 19;
  net.load_parameters(weights, /*strict=*/false);  // every parameter present; only the BN counters left over
  CHECK(weights.size() - extra == net.named_parameters().size());
  net.eval();

  // The first four single-object test photographs of each fruit, and the ImageNet classes that name it
  // (ImageNet's only apple is the Granny Smith; red ones look most like pomegranates to it).
  const std::vector<std::pair<std::string, std::vector<std::string>>> fruits = {
      {"apple", {"Granny Smith", "pomegranate"}}, {"banana", {"banana"}}, {"orange", {"orange"}}};
  const Dataset test = read_voc(kFruit, "test", {{"apple", "banana", "orange"}});
  std::vector<std::string> ids;
  std::vector<const std::vector<std::string>*> accepted;
  std::vector<Tensor> inputs;
  for (const auto& [fruit, names] : fruits) {
    int found = 0;
    for (const Annotation& a : test.items) {
      if (a.objects.size() != 1 || a.objects[0].name != fruit || found == 4) continue;
      ++found;
      ids.push_back(a.id);
      accepted.push_back(&names);
      inputs.push_back(imagenet_input(load_image(a.image_path)));
    }
    REQUIRE(found == 4);
  }
  const Tensor batch = stack(inputs, 0);
  if (std::getenv("RCNN_WRITE_FIXTURES")) {
    nlohmann::json names(ids);
    save_safetensors("tests/reference/mobilenet_inputs.safetensors", {{"images", batch}}, {{"ids", names.dump()}});
  }
  const std::string fixture = "tests/reference/mobilenet_v2.json";
  REQUIRE_MESSAGE(fs::exists(fixture), fixture, " is missing: make reference");
  const nlohmann::json want = nlohmann::json::parse(rcnn::testing::read_file(fixture));
  REQUIRE(want["ids"].get<std::vector<std::string>>() == ids);

  const Tensor logits = net.classify(batch);
  const int64_t photos = static_cast<int64_t>(ids.size());
  REQUIRE(logits.shape() == Shape{photos, 1000});
  std::vector<std::string> classes;
  std::ifstream names(kClassNames);
  for (std::string line; std::getline(names, line);) classes.push_back(line);
  REQUIRE(classes.size() == 1000);
  std::map<const std::vector<std::string>*, int> named;  // photos whose top 5 name their fruit
  std::string answers;
  for (int64_t i = 0; i < photos; ++i) {
    CAPTURE(ids[i]);
    const std::vector<float> got = narrow(logits, 0, i, 1).to_vector<float>();
    const std::vector<double> expected = want["logits"][i].get<std::vector<double>>();
    double worst = 0;
    for (size_t k = 0; k < got.size(); ++k) worst = std::max(worst, std::abs(got[k] - expected[k]));
    CHECK(worst < 1e-4);
    const std::vector<int64_t> top5 = topk(reshape(narrow(logits, 0, i, 1), {1000}), 5).indices.to_vector<int64_t>();
    answers += "\n  " + ids[i] + ": " + classes[top5[0]] + " (largest logit difference from torchvision's " +
               std::to_string(worst) + ")";
    CHECK(classes[top5[0]] == want["top1"][i].get<std::string>());
    for (int64_t k : top5)
      if (std::count(accepted[i]->begin(), accepted[i]->end(), classes[k])) {
        ++named[accepted[i]];
        break;
      }
  }
  MESSAGE("MobileNetV2's top-1 class for each photograph:", answers);
  for (const auto& [fruit, names] : fruits) {
    CAPTURE(fruit);
    CHECK(named[&names] >= 3);  // of 4: a photo or two of a fruit is hard (a banana in a hand, ...)
  }
}

}  // TEST_SUITE
