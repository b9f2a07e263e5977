// The end-to-end detector (suite ch12): configs and their errors, torchvision's parameter names,
// training that learns, resuming bit for bit, a diverging run stopped with its last good checkpoint
// kept, unreadable images skipped, bad checkpoints and data folders refused, the standalone RPN, and
// (with a GPU) the same training on CUDA and how often a step makes the host wait for it.
#include <doctest/doctest.h>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "core/interrupt.h"
#include "cuda/runtime.h"
#include "datasets/generated.h"
#include "datasets/voc.h"
#include "detection/detector_checkpoint.h"
#include "detection/evaluate.h"
#include "detection/faster_rcnn.h"
#include "detection/trainer.h"
#include "layers/safetensors.h"
#include "layers/sgd.h"
#include "models/pretrain.h"
#include "ops/ops.h"
#include "tests/files.h"

using namespace rcnn;
using rcnn::testing::read_file;
using rcnn::testing::TempDir;
using rcnn::testing::write_file;
namespace fs = std::filesystem;

namespace {

// The demo's config, small: 128-pixel shapes, short runs, every iteration logged.
DetectorConfig small_config(std::vector<std::string> overrides = {}) {
  std::vector<std::string> all = {"input.shorter_side=128", "input.longer_side=128", "train.iterations=6",
                                  "train.warmup_iterations=2", "train.checkpoint_every=3", "train.log_every=1",
                                  "rcnn.hidden=64", "rpn.channels=32"};
  all.insert(all.end(), overrides.begin(), overrides.end());
  return load_config("configs/shapes_tiny.yaml", all);
}

TrainOptions train_options(const DetectorConfig& config, const std::string& data, const std::string& out) {
  TrainOptions o;
  o.config = config;
  o.data_dir = data;
  o.out_dir = out;
  o.progress = false;
  return o;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_SUITE("ch12") {

TEST_CASE("configs: every preset reads, and writes back to itself") {
  for (const auto& entry : fs::directory_iterator("configs")) {
    CAPTURE(entry.path().string());
    const DetectorConfig c = load_config(entry.path().string());
    CHECK(config_differences(c, parse_config(to_yaml(c), "round trip")).empty());
  }
  const DetectorConfig paper = parse_config("", "empty");  // the code's defaults are the paper's
  CHECK(paper.anchors.sizes == std::vector<double>{128, 256, 512});
  CHECK(paper.rpn.test.post_nms_top_n == 300);
  CHECK(paper.rcnn.targets.batch_size == 128);
  CHECK(paper.test.nms_threshold == 0.3);
}

TEST_CASE("configs: overrides, and errors that name the key and the file") {
  const DetectorConfig c = load_config("configs/shapes_tiny.yaml", {"rpn.nms_threshold=0.6", "anchors.sizes=[8, 16]"});
  CHECK(c.rpn.train.nms_threshold == 0.6);
  CHECK(c.rpn.test.nms_threshold == 0.6);  // one key for both
  CHECK(c.anchors.sizes == std::vector<double>{8, 16});
  CHECK(config_differences(load_config("configs/shapes_tiny.yaml"), c) ==
        std::vector<std::string>{"anchors.sizes: [16, 32, 64, 128] vs [8, 16]", "rpn.nms_threshold: 0.7 vs 0.6"});
  // Nothing after '=' clears a string (a config's pretrained file), and is no number.
  CHECK(load_config("configs/fruit_mobilenet_v2.yaml", {"backbone.weights="}).backbone.weights.empty());
  CHECK(error_of([] { parse_config("", "x.yaml", {"rpn.sigma="}); }) == "--set rpn.sigma=: rpn.sigma: '~' is not a number");

  CHECK(error_of([] { parse_config("rpn:\n  nms_treshold: 0.6\n", "x.yaml"); }) ==
        "x.yaml: unknown key 'rpn.nms_treshold' (did you mean 'rpn.nms_threshold'?)");
  CHECK(error_of([] { parse_config("rpn:\n  nms_threshold: high\n", "x.yaml"); }) ==
        "x.yaml: rpn.nms_threshold: 'high' is not a number");
  CHECK(error_of([] { parse_config("rpn:\n  nms_threshold: 1.5\n", "x.yaml"); }) ==
        "x.yaml: rpn.nms_threshold: 1.5 is out of range [0, 1]");
  CHECK(error_of([] { parse_config("train:\n  iterations: 2.5\n", "x.yaml"); }) ==
        "x.yaml: train.iterations: '2.5' is not an integer");
  CHECK(error_of([] { parse_config("roi:\n  method: warp\n", "x.yaml"); }) ==
        "x.yaml: roi.method: 'warp' is not one of pool, align, crop_and_resize");
  CHECK(error_of([] { parse_config("rpn: [1, 2\n", "x.yaml"); }).rfind("x.yaml: not valid YAML", 0) == 0);
  CHECK(error_of([] { parse_config("", "x.yaml", {"rpn.sigma"}); }).find("expected key=value") != std::string::npos);
  CHECK(error_of([] { parse_config("", "x.yaml", {"rpn.sigm=2"}); }) ==
        "--set rpn.sigm=2: unknown key 'rpn.sigm' (did you mean 'rpn.sigma'?)");
  CHECK(error_of([] { parse_config("rcnn:\n  fg_iou: 0.3\n  bg_iou_lo: 0.4\n", "x.yaml"); }) ==
        "x.yaml: rcnn.bg_iou_lo is above rcnn.fg_iou");
  CHECK(error_of([] { load_config("configs/no_such.yaml"); }) == "cannot read the config configs/no_such.yaml");
}

TEST_CASE("pretrain_classifier: a backbone learns to classify, and its weights load into the detector by name") {
  // Two classes a TinyNet can tell apart in a few steps: images brighter or darker than the mean.
  Generator data_gen(3);
  auto batch = [](int64_t n, Generator& g) {
    const Tensor labels = (rand({n}, g) * 2).to(kInt64);  // 0 or 1
    const Tensor sign = labels.to(kFloat32) * 2 - 1;
    return models::ClassifierBatch{reshape(sign, {n, 1, 1, 1}) + randn({n, 3, 32, 32}, g) * 0.5, labels};
  };
  const DetectorConfig config = load_config("configs/fashion_tiny.yaml", {"backbone.weights=\"\""});  // stride 8
  Generator gen(1);
  const auto backbone = build_backbone(config.backbone, gen);
  models::PretrainOptions o;
  o.steps = 40;
  o.warmup_steps = 5;
  o.progress = false;
  const models::ClassifierBatch held_out = batch(64, data_gen);
  const models::PretrainResult r =
      models::pretrain_classifier(*backbone, 2, [&](Generator& g) { return batch(16, g); }, held_out, o, gen);
  CHECK(r.accuracy > 0.95);
  CHECK(r.loss < 0.3);  // from ln 2 = 0.69
  TempDir dir("pretrain");
  const std::string file = (dir.path / "backbone.safetensors").string();
  save_safetensors(file, backbone->named_parameters());
  Generator other(2);
  FasterRcnn model(load_config("configs/fashion_tiny.yaml", {"backbone.weights=" + file}), 10, other);
  std::map<std::string, Tensor> loaded;
  for (const auto& [name, t] : model.backbone->named_parameters()) loaded.emplace(name, t);
  REQUIRE(loaded.size() == 8);
  for (const auto& [name, t] : backbone->named_parameters())
    CHECK_MESSAGE(max(abs(loaded.at(name) - t)).item() == 0, name);
}

TEST_CASE("FasterRcnn::losses: ground truth is checked on the host, naming the sample") {
  Generator gen(0);
  FasterRcnn model(load_config("configs/tv_tiny_peer.yaml", {"input.shorter_side=64", "input.longer_side=64"}), 3, gen);
  Sample sample;
  sample.id = "odd";
  sample.image = rand({3, 64, 64}, gen);
  sample.boxes = {{2, 2, 30, 30}, {40, 10, 20, 50}};  // the second is inverted
  sample.labels = {0, 1};
  sample.difficult = {false, false};
  CHECK_THROWS_WITH_AS(model.losses(sample, gen), doctest::Contains("FasterRcnn::losses: sample odd: box 1 (40, 10, 20, 50) is inverted"),
                       Error);
  sample.difficult = {false, true};  // a difficult box is left out before it is checked or learned from
  CHECK(std::isfinite(model.losses(sample, gen).total.item()));
}

TEST_CASE("FasterRcnn: torchvision's parameter names, a backbone whose stride the anchors must match, stride 8 for tiny and vgg16") {
  Generator gen(0);
  FasterRcnn model(load_config("configs/tv_tiny_peer.yaml"), 3, gen);
  std::vector<std::string> names;
  for (const auto& [name, t] : model.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{
                     "backbone.body.0.weight", "backbone.body.0.bias", "backbone.body.3.weight", "backbone.body.3.bias",
                     "backbone.body.6.weight", "backbone.body.6.bias", "backbone.body.9.weight", "backbone.body.9.bias",
                     "rpn.head.conv.weight", "rpn.head.conv.bias", "rpn.head.cls_logits.weight", "rpn.head.cls_logits.bias",
                     "rpn.head.bbox_pred.weight", "rpn.head.bbox_pred.bias", "roi_heads.box_head.fc6.weight",
                     "roi_heads.box_head.fc6.bias", "roi_heads.box_head.fc7.weight", "roi_heads.box_head.fc7.bias",
                     "roi_heads.box_predictor.cls_score.weight", "roi_heads.box_predictor.cls_score.bias",
                     "roi_heads.box_predictor.bbox_pred.weight", "roi_heads.box_predictor.bbox_pred.bias"});
  CHECK(model.roi_heads->box_predictor->cls_score->weight.shape() == Shape{4, 512});
  CHECK(model.roi_heads->box_predictor->bbox_pred->weight.shape() == Shape{12, 512});
  CHECK(model.rpn->head->cls_logits->weight.shape() == Shape{18, 256, 1, 1});  // 9 anchors x 2 logits
  CHECK(error_of([] {
          Generator g(0);
          FasterRcnn(load_config("configs/tv_tiny_peer.yaml", {"anchors.stride=32"}), 3, g);
        }) == "anchors.stride is 32 but the tiny backbone's feature map has stride 16");
  // TinyNet at stride 8: the same parameters, the last pool left out, a map 4x as large.
  FasterRcnn fine(load_config("configs/tv_tiny_peer.yaml", {"backbone.stride=8", "anchors.stride=8"}), 3, gen);
  std::vector<std::string> fine_names;
  for (const auto& [name, t] : fine.named_parameters()) fine_names.push_back(name);
  CHECK(fine_names == names);
  CHECK(fine.backbone->stride == 8);
  CHECK(fine.backbone->forward(zeros({1, 3, 64, 96})).shape() == Shape{1, 256, 8, 12});
  CHECK(model.backbone->forward(zeros({1, 3, 64, 96})).shape() == Shape{1, 256, 4, 6});
  CHECK(error_of([] {
          Generator g(0);
          FasterRcnn(load_config("configs/fruit_mobilenet_v2.yaml", {"backbone.stride=8", "backbone.weights=\"\""}), 3, g);
        }) == "backbone.stride: 8 is for tiny and vgg16 only; mobilenet_v2 has the stride of its own (leave it out, or 0)");
  CHECK(error_of([] {
          Generator g(0);
          FasterRcnn(load_config("configs/tv_tiny_peer.yaml", {"backbone.stride=4", "anchors.stride=4"}), 3, g);
        }) == "TinyNet: stride 4 (16, or 8 without the last pool)");
  // VGG16's conv1-conv2 frozen, as in the paper.
  const std::vector<std::string> vgg_small = {"backbone.width_divisor=16", "rcnn.hidden=32", "backbone.weights=\"\""};
  FasterRcnn vgg(load_config("configs/voc07_vgg16.yaml", vgg_small), 20, gen);
  int64_t frozen = 0;
  for (const auto& [name, t] : vgg.named_parameters()) frozen += !t.requires_grad();
  CHECK(frozen == 8);  // 4 convolutions: weight and bias
  // VGG16 at stride 8: pool4 left out, conv5's weights under torchvision's names all the same.
  std::vector<std::string> vgg8_settings = vgg_small;
  vgg8_settings.insert(vgg8_settings.end(), {"backbone.stride=8", "anchors.stride=8"});
  FasterRcnn vgg16_stride8(load_config("configs/voc07_vgg16.yaml", vgg8_settings), 20, gen);
  std::vector<std::string> names16, names8;
  for (const auto& [name, t] : vgg.backbone->named_parameters()) names16.push_back(name);
  for (const auto& [name, t] : vgg16_stride8.backbone->named_parameters()) names8.push_back(name);
  CHECK(names8 == names16);
  CHECK(names8.back() == "features.28.bias");  // conv5_3, as torchvision's vgg16().features names it
  CHECK(vgg16_stride8.backbone->forward(zeros({1, 3, 64, 64})).shape() == Shape{1, 32, 8, 8});
  CHECK(vgg.backbone->forward(zeros({1, 3, 64, 64})).shape() == Shape{1, 32, 4, 4});
  // MobileNetV2 (stride 32): torchvision's features[0:4] frozen (9 convolutions), batch norm always.
  FasterRcnn mobile(load_config("configs/fruit_mobilenet_v2.yaml", {"backbone.weights=\"\"", "rcnn.hidden=16", "rpn.channels=8"}), 3, gen);
  std::map<std::string, bool> trained;
  for (const auto& [name, t] : mobile.named_parameters()) trained[name] = t.requires_grad();
  CHECK_FALSE(trained.at("backbone.features.0.0.weight"));
  CHECK_FALSE(trained.at("backbone.features.3.conv.2.weight"));  // the 9th convolution
  CHECK(trained.at("backbone.features.4.conv.0.0.weight"));
  CHECK_FALSE(trained.at("backbone.features.4.conv.0.1.running_var"));
  CHECK(trained.count("backbone.classifier.1.weight") == 0);
  CHECK(mobile.backbone->stride == 32);
  // ResNet-50 C4: conv5 is the R-CNN head on 14 x 14 RoIs, named as torchvision's layer4.
  FasterRcnn resnet(load_config("configs/voc07_resnet50.yaml", {"backbone.weights=\"\"", "rpn.channels=8"}), 20, gen);
  std::map<std::string, bool> resnet_trained;
  for (const auto& [name, t] : resnet.named_parameters()) resnet_trained[name] = t.requires_grad();
  CHECK_FALSE(resnet_trained.at("backbone.conv1.weight"));
  CHECK_FALSE(resnet_trained.at("backbone.layer1.0.downsample.0.weight"));
  CHECK_FALSE(resnet_trained.at("backbone.layer1.2.conv3.weight"));  // the 11th convolution
  CHECK(resnet_trained.at("backbone.layer2.0.conv1.weight"));
  CHECK(resnet_trained.at("roi_heads.box_head.layer4.0.conv1.weight"));
  CHECK(resnet.roi_heads->box_predictor->cls_score->weight.shape() == Shape{21, 2048});
  const Tensor pooled = zeros({2, 1024, 14, 14});
  CHECK(resnet.roi_heads->box_head->forward(pooled).shape() == Shape{2, 2048});
}

TEST_CASE("a padded batch of B images: the losses and gradients of B images one after another") {
  TempDir dir("padded_batch");
  generate_shapes({dir / "shapes", 3, 8, 128});
  const Dataset data = read_voc(dir / "shapes", "trainval", {shapes_classes()});
  LoaderOptions loading = loader_options(small_config(), true);
  std::vector<Sample> batch;
  for (size_t i = 0; i < 2; ++i) {
    batch.push_back(prepare_sample(data.items[i], loading, i == 1));
    batch.back().position = static_cast<int64_t>(10 + i);
  }
  // With dropout the head runs image by image; without, every RoI in one call (their batch index).
  for (const std::string dropout : {"0", "0.5"}) {
    CAPTURE(dropout);
    Generator gen(3);
    FasterRcnn model(small_config({"rcnn.dropout=" + dropout}), 3, gen);
    model.train();
    auto seed_image = [&](size_t i) { gen.seed(item_seed(0, static_cast<uint64_t>(batch[i].position))); };
    auto gradients = [&] {
      std::vector<Tensor> g;
      for (auto [name, p] : model.named_parameters()) {
        if (p.requires_grad()) g.push_back(p.grad().defined() ? p.grad().clone() : zeros(p.shape()));
        p.zero_grad();
      }
      return g;
    };
    double one_by_one = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      seed_image(i);
      const DetectorLosses l = model.losses(batch[i], gen);
      one_by_one += l.total.item() / 2;
      (l.total * 0.5).backward();
    }
    const std::vector<Tensor> accumulated = gradients();
    const DetectorLosses l = model.losses(batch, gen, seed_image);
    CHECK(l.total.item() == doctest::Approx(one_by_one).epsilon(1e-6));
    CHECK(l.rcnn_class.item() > 0);
    l.total.backward();
    const std::vector<Tensor> padded = gradients();
    // The update (every gradient, as one vector) within 1e-6 of its norm.
    REQUIRE(padded.size() == accumulated.size());
    double difference = 0, norm = 0;
    for (size_t i = 0; i < padded.size(); ++i) {
      const Tensor d = (padded[i] - accumulated[i]).to(kFloat64), a = accumulated[i].to(kFloat64);
      difference += sum(d * d).item();
      norm += sum(a * a).item();
    }
    CHECK(norm > 0);
    CHECK(std::sqrt(difference) <= 1e-6 * std::sqrt(norm));
  }
  // Images of other sizes are padded (to the largest, a multiple of the stride) and train all the same.
  Generator gen(3);
  FasterRcnn model(small_config(), 3, gen);
  loading.shorter_side = 96;
  loading.longer_side = 120;
  batch.push_back(prepare_sample(data.items[2], loading, false));
  CHECK(batch.back().image.shape() == Shape{3, 96, 96});
  const DetectorLosses mixed = model.losses(batch, gen);
  CHECK(std::isfinite(mixed.total.item()));
  CHECK(mixed.rpn_class.item() > 0);
}

TEST_CASE("training: the losses fall, and eval and predict use only the checkpoint") {
  TempDir dir("train_learns");
  generate_shapes({dir / "shapes", 12, 5, 128});
  const TrainResult r = train_detector(train_options(small_config({"train.iterations=60", "train.checkpoint_every=100"}),
                                                     dir / "shapes", dir / "run"));
  CHECK(r.iterations == 60);
  CHECK_FALSE(r.interrupted);
  std::vector<double> losses;
  std::ifstream log(dir / "run/log.jsonl");
  for (std::string line; std::getline(log, line);) losses.push_back(nlohmann::json::parse(line)["loss"].get<double>());
  REQUIRE(losses.size() == 60);
  double first = 0, last = 0;
  for (int i = 0; i < 10; ++i) first += losses[i], last += losses[50 + i];
  CHECK(last < 0.7 * first);
  CHECK(fs::file_size(dir / "run/losses.png") > 1000);
  CHECK(load_config(dir / "run/config.yaml").train.iterations == 60);

  LoadedDetector d = load_detector(dir / "run");  // the folder; its checkpoint inside
  CHECK(d.info.iteration == 60);
  CHECK(d.info.classes == shapes_classes());
  CHECK_FALSE(d.model->is_training());
  EvaluateOptions e;
  e.data_dir = dir / "shapes";
  e.split = "trainval";
  e.out_dir = dir / "eval";
  e.progress = false;
  const DetectorEvaluation ev = evaluate_detector(*d.model, d.info.classes, e);
  CHECK(ev.scores.classes.size() == 3);
  CHECK(fs::exists(dir / "eval/results/comp4_det_trainval_circle.txt"));
  CHECK(fs::exists(dir / "eval/plots/pr_circle.png"));
  for (const Detection& x : ev.detections) CHECK(x.score > 0.05);
}

TEST_CASE("training: an interrupted run resumed reproduces the uninterrupted one bit for bit") {
  TempDir dir("train_resume");
  generate_shapes({dir / "shapes", 5, 1, 128});  // 4 training images: the resumed run crosses an epoch
  // Both runs start from a pretrained file, which is gone when the run resumes (the checkpoint holds it).
  const std::string pretrained = dir / "backbone.safetensors";
  Generator init(5);
  save_safetensors(pretrained, FasterRcnn(small_config(), 3, init).backbone->named_parameters());
  const DetectorConfig config = small_config({"backbone.weights=" + pretrained});
  train_detector(train_options(config, dir / "shapes", dir / "straight"));

  TrainOptions o = train_options(config, dir / "shapes", dir / "resumed");
  o.on_iteration = [](FasterRcnn&, const IterationLog& l) {
    if (l.iteration == 4) std::raise(SIGINT);  // after iteration 4: saved there, though checkpoint_every is 3
  };
  const TrainResult stopped = train_detector(o);
  clear_interrupt();
  CHECK(stopped.interrupted);
  CHECK(stopped.iterations == 4);
  CHECK(read_detector_info(dir / "resumed").iteration == 4);
  o.on_iteration = nullptr;
  CHECK(error_of([&] { train_detector(o); }).find("already holds a run") != std::string::npos);  // nothing overwritten
  o.resume = true;
  fs::remove(pretrained);
  // A save cut short (mpirun's SIGKILL after its grace) left its .tmp: the next start removes it, saying so.
  write_file(dir / "resumed/checkpoint.safetensors.tmp", "half a checkpoint");
  TrainResult finished;
  {
    rcnn::testing::CapturedStderr notes;
    finished = train_detector(o);
    CHECK(notes.str().find("note: removed " + dir / "resumed/checkpoint.safetensors.tmp") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(dir / "resumed/checkpoint.safetensors.tmp"));
  CHECK(finished.iterations == 6);

  CHECK(read_file(dir / "resumed/log.jsonl") == read_file(dir / "straight/log.jsonl"));
  const NamedTensors a = load_safetensors(dir / "straight/checkpoint.safetensors");
  const NamedTensors b = load_safetensors(dir / "resumed/checkpoint.safetensors");
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CAPTURE(a[i].first);
    CHECK(a[i].first == b[i].first);
    CHECK(a[i].second.to_vector<float>() == b[i].second.to_vector<float>());
  }

  // Resuming with another config is refused, naming what differs; a longer schedule is allowed.
  o.config = small_config({"backbone.weights=" + pretrained, "rpn.nms_threshold=0.6"});
  CHECK(error_of([&] { train_detector(o); }).find("rpn.nms_threshold: 0.7 vs 0.6") != std::string::npos);
  o.config = small_config({"backbone.weights=" + pretrained, "train.iterations=7"});
  CHECK(train_detector(o).iterations == 7);
}

TEST_CASE("training: a diverging run stops with a clear error and keeps its last good checkpoint") {
  TempDir dir("train_nan");
  generate_shapes({dir / "shapes", 5, 2, 128});
  TrainOptions o = train_options(small_config({"train.lr=1e12", "train.warmup_iterations=0", "train.checkpoint_every=1",
                                               "train.iterations=50"}),
                                 dir / "shapes", dir / "run");
  const std::string error = error_of([&] { train_detector(o); });
  CHECK(error.find("not finite") != std::string::npos);
  CHECK(error.find("training stopped. The last good checkpoint is") != std::string::npos);
  const DetectorInfo saved = read_detector_info(dir / "run");
  CHECK(saved.iteration >= 1);
  CHECK(saved.iteration < 50);
  for (const auto& [name, t] : load_safetensors(dir / "run/checkpoint.safetensors"))
    CHECK(std::isfinite(sum(t.to(kFloat64)).item()));
}

TEST_CASE("training and evaluation: unreadable images are skipped and counted; bad folders and checkpoints refused") {
  TempDir dir("train_bad_input");
  generate_shapes({dir / "shapes", 6, 3, 128});
  const Dataset trainval = read_voc(dir / "shapes", "trainval", {shapes_classes()});
  write_file(trainval.items[1].image_path, "not a JPEG");  // damaged after the data set was read
  TrainOptions o = train_options(small_config(), dir / "shapes", dir / "run");
  testing::CapturedStderr warnings;
  const TrainResult r = train_detector(o);
  CHECK(r.iterations == 6);
  CHECK(r.unreadable >= 1);
  CHECK(warnings.str().find("warning: skipped image " + trainval.items[1].id + " (1 so far): load_image: cannot decode") !=
        std::string::npos);

  o.split = "no_such_split";
  o.out_dir = dir / "run2";
  CHECK(error_of([&] { train_detector(o); }).find("no_such_split") != std::string::npos);
  write_file(dir / "shapes/ImageSets/Main/empty.txt", "");
  o.split = "empty";
  const std::string empty = "read_voc: " + dir / "shapes/ImageSets/Main/empty.txt" + " lists no usable images";
  CHECK(error_of([&] { train_detector(o); }) == empty);
  LoadedDetector d = load_detector(dir / "run");
  EvaluateOptions e;
  e.data_dir = dir / "shapes";
  e.split = "empty";
  e.progress = false;
  CHECK(error_of([&] { evaluate_detector(*d.model, d.info.classes, e); }) == empty);

  write_file(dir / "broken.safetensors", "\x08\x00\x00\x00\x00\x00\x00\x00{\"a\":1}");
  CHECK(error_of([&] { load_detector(dir / "broken.safetensors"); }).find(dir / "broken.safetensors") != std::string::npos);
  CHECK(error_of([&] { load_detector(dir / "nothing_here"); }) == "no checkpoint at " + dir / "nothing_here");
  const std::string good = read_file(dir / "run/checkpoint.safetensors");
  write_file(dir / "truncated.safetensors", good.substr(0, good.size() / 2));
  CHECK(error_of([&] { load_detector(dir / "truncated.safetensors"); }).find(dir / "truncated.safetensors") !=
        std::string::npos);
}

TEST_CASE("the RPN alone: a class-agnostic detector scored by its objectness") {
  TempDir dir("train_rpn");
  generate_shapes({dir / "shapes", 6, 4, 128});
  train_detector(train_options(small_config({"mode=rpn"}), dir / "shapes", dir / "run"));
  LoadedDetector d = load_detector(dir / "run");
  CHECK(d.model->roi_heads == nullptr);
  for (const auto& [name, t] : d.model->named_parameters()) CHECK(name.rfind("roi_heads", 0) == std::string::npos);
  EvaluateOptions e;
  e.data_dir = dir / "shapes";
  e.split = "trainval";
  e.progress = false;
  const DetectorEvaluation ev = evaluate_detector(*d.model, d.info.classes, e);
  REQUIRE(ev.scores.classes.size() == 1);
  CHECK(ev.scores.classes[0].name == "object");
  CHECK(!ev.detections.empty());
  for (const Detection& x : ev.detections) CHECK((x.label == 0 && x.score > 0.05 && x.score <= 1));
}

TEST_CASE("the rcnn command: one clear line and a non-zero exit for bad input") {
  // build/<config>/tests/run_tests -> build/<config>/bin/rcnn (make test builds it)
  const fs::path rcnn = rcnn::testing::built_program("rcnn");
  if (!fs::exists(rcnn)) {
    MESSAGE("skipped: " << rcnn.string() << " is not built (make test builds it)");
    return;
  }
  TempDir dir("rcnn_command");
  auto run = [&](const std::string& args) {
    const rcnn::testing::CommandResult r = rcnn::testing::run_command(rcnn.string() + " " + args);
    return std::make_pair(r.output, r.status);
  };
  write_file(dir / "typo.yaml", "rpn:\n  nms_treshold: 0.6\n");
  auto [typo, typo_status] = run("train --config " + dir / "typo.yaml" + " --data " + dir / "none" + " --out " + dir / "run");
  CHECK(typo == "rcnn: error: " + dir / "typo.yaml" + ": unknown key 'rpn.nms_treshold' (did you mean 'rpn.nms_threshold'?)\n");
  CHECK(typo_status != 0);

  generate_shapes({dir / "shapes", 5, 7, 128});
  TrainOptions o = train_options(small_config({"train.iterations=2"}), dir / "shapes", dir / "run");
  train_detector(o);
  write_file(dir / "notes.txt", "not an image");
  const Dataset d = read_voc(dir / "shapes", "trainval", {shapes_classes()});
  auto [predicted, predict_status] =
      run("predict --checkpoint " + dir / "run" + " --out " + dir / "predictions " + dir / "notes.txt " + d.items[0].image_path);
  CHECK(predicted.find("rcnn: error: " + dir / "notes.txt" + ": load_image: cannot decode") != std::string::npos);
  CHECK(predict_status != 0);  // the good image is still done
  CHECK(predicted.find("rcnn: 1 of 2 images could not be read (above); the other 1 are in " + dir / "predictions" + "\n") !=
        std::string::npos);
  auto [none, none_status] = run("predict --checkpoint " + dir / "run" + " --out " + dir / "empty " + dir / "notes.txt");
  CHECK(none.find("rcnn: error: none of the 1 images could be read: " + dir / "empty" + " was not made\n") != std::string::npos);
  CHECK(none_status != 0);
  CHECK_FALSE(fs::exists(dir / "empty"));  // a failed command leaves no empty folder behind
  auto [no_data, no_data_status] = run("train --config configs/shapes_tiny.yaml --data " + dir / "none" + " --out " + dir / "never");
  CHECK(no_data_status != 0);
  CHECK_FALSE(fs::exists(dir / "never"));
  // A usage error: one line, exit code 2 (CLI11's own were two lines and 105, 106, ...).
  auto [usage, usage_status] = run("train --data " + dir / "shapes");
  CHECK(usage == "rcnn: error: --out is required (rcnn train --help)\n");
  CHECK(usage_status == 2);
  auto [bad_value, bad_value_status] = run("predict --checkpoint x --out y --threshold 7 z.jpg");
  CHECK(bad_value.find("rcnn: error: --threshold: ") == 0);
  CHECK(std::count(bad_value.begin(), bad_value.end(), '\n') == 1);
  CHECK(bad_value_status == 2);
  CHECK(fs::exists(dir / ("predictions/" + d.items[0].id + ".png")));
  const nlohmann::json boxes = nlohmann::json::parse(read_file(dir / ("predictions/" + d.items[0].id + ".json")));
  CHECK(boxes["width"] == 128);
  CHECK(boxes["detections"].is_array());
  auto [command_typo, command_typo_status] = run("trian --data " + dir / "shapes");
  CHECK(command_typo == "rcnn: error: unknown command 'trian' (did you mean 'train'?); the commands are data, pretrain, train, eval, "
                "predict, serve, export (rcnn --help)\n");
  CHECK(command_typo_status == 2);
  // rcnn pretrain: a few steps write the weights a config's backbone.weights names.
  auto [pretrained, pretrained_status] = run("pretrain --config configs/fashion_tiny.yaml --out " + dir / "backbone.safetensors" +
                                             " --steps 3 --batch 4 --size 32 --held-out 10");
  CHECK(pretrained_status == 0);
  CHECK(pretrained.find("tiny backbone pretrained in 3 steps: loss ") != std::string::npos);
  CHECK(load_safetensors(dir / "backbone.safetensors").size() == 8);  // TinyNet's 4 convolutions
  auto [help, help_status] = run("eval --help");
  CHECK(help.find("--split TEXT=test") != std::string::npos);  // --help shows the defaults
  auto [resumed, resume_status] = run("train --data " + dir / "shapes" + " --out " + dir / "elsewhere --resume");
  CHECK(resumed == "rcnn: error: no checkpoint at " + dir / "elsewhere" + "\n");
  CHECK(resume_status != 0);
}

TEST_CASE("CUDA: 50 iterations of shapes_tiny give the CPU's losses" * doctest::skip(!cuda::built_with_cuda())) {
  if (!cuda::available()) {
    MESSAGE("skipped: no GPU (", cuda::built_with_cuda() ? "no CUDA device found" : "built without CUDA=1", ")");
    return;
  }
  TempDir dir("train_cuda");
  generate_shapes({dir / "shapes", 12, 6, 256});
  // Dropout off and sampling from the same seed: the two runs differ only by floating-point order.
  const DetectorConfig config = load_config("configs/shapes_tiny.yaml", {"train.iterations=50", "train.log_every=1"});
  TrainOptions cpu = train_options(config, dir / "shapes", dir / "cpu"), gpu = cpu;
  gpu.out_dir = dir / "gpu";
  gpu.device = Device::cuda();
  train_detector(cpu);
  train_detector(gpu);
  auto losses = [](const std::string& log) {
    std::vector<double> v;
    std::ifstream in(log);
    for (std::string line; std::getline(in, line);) v.push_back(nlohmann::json::parse(line)["loss"].get<double>());
    return v;
  };
  const std::vector<double> a = losses(dir / "cpu/log.jsonl"), b = losses(dir / "gpu/log.jsonl");
  REQUIRE(a.size() == 50);
  REQUIRE(b.size() == 50);
  // The first step sees the same weights, image and samples: only the order of float sums differs.
  CHECK(b[0] == doctest::Approx(a[0]).epsilon(1e-4));
  // Later, the two runs drift apart (atomic adds on the GPU sum in any order, and each step feeds the
  // next), so single steps may differ by several percent; the means over 10 steps stay close.
  double worst = 0;
  for (int w = 0; w < 5; ++w) {
    double ma = 0, mb = 0;
    for (int i = 10 * w; i < 10 * w + 10; ++i) ma += a[i] / 10, mb += b[i] / 10;
    worst = std::max(worst, std::abs(ma - mb) / ma);
  }
  MESSAGE("CPU and CUDA over 50 iterations: first loss ", a[0], " vs ", b[0], "; largest difference of a 10-step mean ",
          worst * 100, " %");
  CHECK(worst < 0.05);
}

TEST_CASE("CUDA: a training step and an inference make the host wait for the device only where a count is read" * doctest::skip(!cuda::built_with_cuda())) {
  if (!cuda::available()) {
    MESSAGE("skipped: no GPU (", cuda::built_with_cuda() ? "no CUDA device found" : "built without CUDA=1", ")");
    return;
  }
  const DetectorConfig config = load_config("configs/tv_tiny_peer.yaml");
  Generator gen(0);
  FasterRcnn model(config, 3, gen);
  model.to(Device::cuda());
  optim::SGD sgd(model.named_parameters(), {0.001, 0.9, 0});
  Sample sample;
  sample.id = "waits";
  sample.image = rand({3, 256, 256}, gen);
  sample.boxes = {{20, 30, 120, 140}, {100, 60, 220, 200}};
  sample.labels = {0, 2};
  sample.difficult = {false, false};
  auto step = [&] {
    sgd.zero_grad();
    model.losses(sample, gen).total.backward();
    sgd.step();
  };
  step();  // the first step chooses the convolutions' algorithms and fills the caches
  cuda::synchronize();
  int64_t before = cuda::host_waits();
  step();
  // The proposals counted (with the RPN's outputs checked finite), the RPN's and the R-CNN's samples counted.
  const int64_t train_waits = cuda::host_waits() - before;
  model.eval();
  model.detect(sample);
  cuda::synchronize();
  before = cuda::host_waits();
  model.detect(sample);
  // Proposals (and the finite check), confident boxes, kept boxes, and the detections copied to the host.
  const int64_t detect_waits = cuda::host_waits() - before;
  MESSAGE("host waits: ", train_waits, " in a training step, ", detect_waits, " in an inference");
  CHECK(train_waits <= 3);
  CHECK(detect_waits <= 4);
}

}  // TEST_SUITE
