// `rcnn export` checked by a real runtime: each backbone family's detector exported to ONNX and run in
// onnxruntime (npm's onnxruntime-node, CPU; tests/onnx/run_model.js) on several images, against
// `rcnn predict`'s detections of the same images (predict_objects): the same labels, boxes within
// 1e-3 pixels, scores within 1e-4.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "datasets/generated.h"
#include "datasets/image.h"
#include "datasets/transforms.h"
#include "detection/config.h"
#include "detection/predictor.h"
#include "detection/trainer.h"
#include "export/onnx_detector.h"
#include "tests/files.h"

using namespace rcnn;
using namespace rcnn::testing;
namespace fs = std::filesystem;

namespace {

// What the runtime test needs that this machine lacks ("" when it has everything).
const char* onnxruntime_missing() {
  static const char* missing = !fs::exists("tests/onnx/node_modules/onnxruntime-node")
                                   ? "onnxruntime-node is not installed: scripts/deps.sh --onnxruntime"
                               : run_command("command -v node").status != 0 ? "node is not installed: apt-get install nodejs"
                                                                            : "";
  return missing;
}

struct Comparison {
  int64_t detections = 0;           // ours, over every image
  double box_error = 0, score_error = 0;  // the largest differences
  std::vector<std::string> differences;   // where the lists differ: image, rank, what
};

// Exports the run at `height` x `width`, runs it in onnxruntime on `images` (each of that size) and
// compares with predict_objects at threshold 0 (every detection the model makes).
Comparison compare_with_onnxruntime(const std::string& run, const std::vector<Image>& images, const std::string& dir,
                                    int64_t opset = 17, const std::vector<std::string>& overrides = {}) {
  LoadedDetector d = load_detector(run, kCPU, overrides);
  const int64_t H = images[0].height, W = images[0].width;
  const std::string model = dir + "/model.onnx";
  onnx_export::export_detector(d, model, {H, W, opset});
  std::string command = "node tests/onnx/run_model.js " + model + " " + std::to_string(H) + " " + std::to_string(W);
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string path = dir + "/" + std::to_string(i) + ".rgb";
    write_file(path, std::string(images[i].rgb.begin(), images[i].rgb.end()));
    command += " " + path;
  }
  const CommandResult r = run_command(command);
  REQUIRE_MESSAGE(r.status == 0, r.output);
  std::istringstream lines(r.output);
  Comparison c;
  for (size_t i = 0; i < images.size(); ++i) {
    std::string line;
    REQUIRE(std::getline(lines, line));
    const nlohmann::json theirs = nlohmann::json::parse(line);
    const std::vector<PredictedObject> ours = predict_objects(d, images[i], 0);
    c.detections += static_cast<int64_t>(ours.size());
    const size_t n = theirs["scores"].size();
    if (n != ours.size())
      c.differences.push_back("image " + std::to_string(i) + ": " + std::to_string(ours.size()) + " detections, onnxruntime " +
                              std::to_string(n));
    for (size_t k = 0; k < std::min(n, ours.size()); ++k) {
      const PredictedObject& o = ours[k];
      const auto& box = theirs["boxes"][k];
      const double box_error = std::max({std::abs(o.box.x1 - box[0].get<double>()), std::abs(o.box.y1 - box[1].get<double>()),
                                         std::abs(o.box.x2 - box[2].get<double>()), std::abs(o.box.y2 - box[3].get<double>())});
      const double score_error = std::abs(o.score - theirs["scores"][k].get<double>());
      if (o.class_index != theirs["labels"][k].get<int64_t>() || box_error > 1e-3 || score_error > 1e-4) {
        c.differences.push_back("image " + std::to_string(i) + " rank " + std::to_string(k) + ": ours " + o.label + " " +
                                std::to_string(o.score) + " at " + std::to_string(o.box.x1) + "," + std::to_string(o.box.y1) +
                                "; onnxruntime " + theirs["labels"][k].dump() + " " + theirs["scores"][k].dump() + " at " +
                                box.dump());
        continue;
      }
      c.box_error = std::max(c.box_error, box_error);
      c.score_error = std::max(c.score_error, score_error);
    }
  }
  return c;
}

// The first `count` images of a folder, resized to width x height.
std::vector<Image> images_of(const std::string& folder, int count, int width, int height) {
  std::vector<Image> images;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(folder)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (int i = 0; i < count; ++i) images.push_back(resize_bilinear(load_image(files[static_cast<size_t>(i)].string()), width, height));
  return images;
}

// A detector of each family, trained 3 steps on generated shapes at 100 x 130 (the single map's stride
// does not divide it: maps are floored; a pyramid pads it to 112 x 144), exported at that size and run
// on 4 images of it: shapes, and a photograph-like texture.
struct Family {
  const char* name;
  const char* preset;
  std::vector<std::string> overrides;
  int64_t opset = 17;
};

const Family kFamilies[] = {
    {"TinyNet, RoIAlign", "shapes_tiny", {}},
    {"TinyNet, RoIAlign aligned, adaptive sampling, opset 16", "shapes_tiny", {"roi.aligned=true", "roi.sampling_ratio=0"}, 16},
    {"TinyNet, RoIPool", "shapes_tiny", {"roi.method=pool"}},
    {"TinyNet, crop and resize", "shapes_tiny", {"roi.method=crop_and_resize"}},
    {"TinyNet, the RPN alone", "shapes_tiny", {"mode=rpn"}},
    {"VGG16 / 8, RoIPool", "voc07_vgg16", {"backbone.width_divisor=8", "rpn.channels=64", "rcnn.hidden=64"}},
    // Anchors that fit a 100-pixel image: an untrained MobileNetV2's large activations make its deltas'
    // float32 error ~1e-6, which a 512-pixel anchor would spread to ~1e-3 pixels.
    {"MobileNetV2", "voc07_mobilenet_v2", {"rcnn.hidden=64", "rpn.channels=64", "anchors.sizes=[16, 32, 64]"}},
    {"ResNet-50 C4", "voc07_resnet50", {"rpn.channels=64"}},
    {"TinyNet FPN", "fashion_tiny_fpn", {"rcnn.hidden=64"}},
    {"MobileNetV2 FPN", "voc07_mobilenet_v2_fpn", {"rcnn.hidden=64"}},
    {"ResNet-50 FPN", "voc07_resnet50_fpn", {"rcnn.hidden=64"}},
};

// Shapes and a smooth colour texture, each 100 x 130.
std::vector<Image> test_images(const std::string& dir) {
  generate_shapes({dir + "/shapes", 3, 7, 128});
  std::vector<Image> images = images_of(dir + "/shapes/JPEGImages", 3, 130, 100);
  Image texture(130, 100);
  for (int y = 0; y < 100; ++y)
    for (int x = 0; x < 130; ++x)
      for (int c = 0; c < 3; ++c)
        texture.rgb[static_cast<size_t>((y * 130 + x) * 3 + c)] =
            static_cast<uint8_t>(127 + 120 * std::sin(0.11 * x * (c + 1) + 0.07 * y * (3 - c) + c));
  images.push_back(texture);
  return images;
}

}  // namespace

TEST_CASE("rcnn export: every backbone family and mode gives rcnn predict's detections in onnxruntime" *
          doctest::skip(*onnxruntime_missing() != '\0') * doctest::description(onnxruntime_missing()) * doctest::timeout(300)) {
  TempDir dir("export");
  generate_shapes({dir / "train", 6, 3, 128});
  const std::vector<Image> images = test_images(dir.path.string());
  for (size_t i = 0; i < std::size(kFamilies); ++i) {
    const Family& f = kFamilies[i];
    const std::string name = f.name;
    CAPTURE(name);
    TrainOptions o;
    std::vector<std::string> overrides = {"input.shorter_side=100", "input.longer_side=130", "train.iterations=3",
                                          "train.log_every=3", "train.warmup_iterations=0", "train.images_per_step=1",
                                          "backbone.weights=\"\"", "test.score_threshold=0"};
    overrides.insert(overrides.end(), f.overrides.begin(), f.overrides.end());
    o.config = load_config(std::string("configs/") + f.preset + ".yaml", overrides);
    o.data_dir = dir / "train";
    o.out_dir = dir / ("run" + std::to_string(i));
    o.progress = false;
    train_detector(o);
    const Comparison c = compare_with_onnxruntime(o.out_dir, images, dir.path.string(), f.opset);
    MESSAGE(name, ": ", c.detections, " detections on ", images.size(), " images; largest differences: box ", c.box_error,
            " px, score ", c.score_error);
    for (const std::string& d : c.differences) MESSAGE(d);
    CHECK(c.detections > 0);
    CHECK(c.differences.empty());
  }
  // The first detector again with its test settings changed (--set): at most 3 an image (NMS's limit),
  // and none at all (an empty result through every op after the threshold).
  const Comparison three = compare_with_onnxruntime(dir / "run0", images, dir.path.string(), 17, {"test.max_per_image=3"});
  CHECK(three.detections == 3 * static_cast<int64_t>(images.size()));
  CHECK(three.differences.empty());
  const Comparison none = compare_with_onnxruntime(dir / "run0", images, dir.path.string(), 17, {"test.score_threshold=0.9999"});
  CHECK(none.detections == 0);
  CHECK(none.differences.empty());
}

TEST_CASE("rcnn export: an existing run against onnxruntime (RCNN_EXPORT_RUN, _IMAGES, _SIZE; _SET: one --set)" *
          doctest::skip(std::getenv("RCNN_EXPORT_RUN") == nullptr || *onnxruntime_missing() != '\0')) {
  TempDir dir("export");
  const int size = std::atoi(std::getenv("RCNN_EXPORT_SIZE"));
  std::vector<std::string> overrides;
  if (std::getenv("RCNN_EXPORT_SET") != nullptr) overrides.emplace_back(std::getenv("RCNN_EXPORT_SET"));
  const Comparison c = compare_with_onnxruntime(std::getenv("RCNN_EXPORT_RUN"), images_of(std::getenv("RCNN_EXPORT_IMAGES"), 4, size, size),
                                                dir.path.string(), 17, overrides);
  MESSAGE(c.detections, " detections; box error ", c.box_error, ", score error ", c.score_error);
  for (const std::string& s : c.differences) MESSAGE(s);
  CHECK(c.differences.empty());
}

TEST_CASE("rcnn export: the command writes a checked file; settings and sizes it cannot express are refused by name") {
  TempDir dir("export_cli");
  generate_shapes({dir / "shapes", 4, 3, 96});
  TrainOptions o;
  o.config = load_config("configs/shapes_tiny.yaml", {"input.shorter_side=96", "input.longer_side=96", "train.iterations=1",
                                                       "rcnn.hidden=32", "rpn.channels=16"});
  o.data_dir = dir / "shapes";
  o.out_dir = dir / "run";
  o.progress = false;
  train_detector(o);
  const std::string rcnn = built_program("rcnn").string();
  const CommandResult r = run_command(rcnn + " export --checkpoint " + (dir / "run") + " --out " + (dir / "out/model.onnx"));
  REQUIRE_MESSAGE(r.status == 0, r.output);
  CHECK(r.output.find("input uint8 (96, 96, 3) RGB") != std::string::npos);
  CHECK(r.output.find("checked (ONNX checker, shape inference)") != std::string::npos);
  CHECK(r.output.find("NonMaxSuppression") != std::string::npos);
  CHECK(fs::file_size(dir / "out/model.onnx") > 100'000);

  const CommandResult opset = run_command(rcnn + " export --checkpoint " + (dir / "run") + " --out " + (dir / "x.onnx") + " --opset 13");
  CHECK(opset.status == 1);
  CHECK(opset.output.find("--opset 13: the exporter writes opset 16 or 17") != std::string::npos);
  CHECK(!fs::exists(dir / "x.onnx"));

  LoadedDetector d = load_detector(dir / "run");
  DetectorConfig capped = d.info.config;
  capped.test.max_per_class = 5;  // the Luminoth preset's cap
  d.model = std::make_unique<FasterRcnn>(capped, 3, *d.gen);
  std::string message;
  try {
    onnx_export::export_detector(d, dir / "y.onnx");
  } catch (const Error& e) {
    message = e.what();
  }
  CHECK(message.find("export: test.max_per_class 5: a cap per class is not exported") == 0);
  CHECK(!fs::exists(dir / "y.onnx"));
}
