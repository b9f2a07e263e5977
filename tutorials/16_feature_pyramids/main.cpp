// Chapter 16 — Feature pyramids. Works the FPN's level formula by hand, then trains two detectors of
// fashion-scenes for the same few minutes, the single stride-8 map of configs/fashion_tiny.yaml and
// the pyramid of configs/fashion_tiny_fpn.yaml (both from scratch here, without the pretrained
// backbone, so the chapter runs alone), and measures and draws what the pyramid changes: proposal
// recall by object size, the maps P2-P5 of one image, the level each RoI is pooled from, and AP.
//   build/cpu/bin/16_feature_pyramids [--out runs/16_feature_pyramids] [--iterations 600] [--images 600]
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "datasets/draw.h"
#include "datasets/generated.h"
#include "datasets/transforms.h"
#include "datasets/voc.h"
#include "detection/boxes.h"
#include "detection/detector_checkpoint.h"
#include "detection/evaluate.h"
#include "detection/multi_scale_roi_align.h"
#include "detection/trainer.h"
#include "layers/checkpoint.h"
#include "ops/ops.h"

using namespace rcnn;

namespace {

// Object sizes (sqrt of the box's area, in the network's pixels) in three bins.
const double kBinEdges[] = {0, 64, 96, 1e9};
const char* const kBinNames[] = {"under 64 px", "64 to 96 px", "96 px and up"};
int size_bin(const Box& b) {
  const double s = std::sqrt((b.x2 - b.x1) * (b.y2 - b.y1));
  return s < kBinEdges[1] ? 0 : s < kBinEdges[2] ? 1 : 2;
}

// Of the test objects in each size bin: how many, and how many have one of the RPN's best `top`
// proposals at IoU >= 0.5 (the proposals the R-CNN head can at best start from).
struct Recall {
  int objects[3] = {0, 0, 0}, found[3] = {0, 0, 0};
};
Recall proposal_recall(FasterRcnn& model, const Dataset& test, const LoaderOptions& loader, int64_t top) {
  Recall r;
  for (const Annotation& item : test.items) {
    const Sample s = prepare_sample(item, loader, false);
    const Tensor proposals = model.proposals(s).boxes;
    const Tensor best = narrow(proposals, 0, 0, std::min(top, proposals.size(0)));
    const Tensor truth = boxes_tensor(s.boxes);
    if (truth.size(0) == 0) continue;
    const std::vector<float> iou = max(box_iou(truth, best), {1}).to_vector<float>();
    for (size_t i = 0; i < s.boxes.size(); ++i) {
      const int bin = size_bin(s.boxes[i]);
      ++r.objects[bin];
      r.found[bin] += iou[i] >= 0.5f;
    }
  }
  return r;
}

// One map (1, C, h, w) as a grey picture: the mean |activation| over channels, stretched, enlarged.
Image map_picture(const Tensor& map, int zoom) {
  const Tensor grey = mean(abs(map), {1});  // (1, h, w)
  const Image small = tensor_to_image(grey, /*normalize=*/true);
  return resize_bilinear(small, small.width * zoom, small.height * zoom);
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"Chapter 16: feature pyramids"};
  std::string out = "runs/16_feature_pyramids";
  int64_t iterations = 600, images = 600;
  app.add_option("--out", out, "where the data, the runs and the pictures go");
  app.add_option("--iterations", iterations, "training iterations of each detector")->check(CLI::PositiveNumber);
  app.add_option("--images", images, "fashion-scenes images to generate")->check(CLI::Range(20, 100000));
  CLI11_PARSE(app, argc, argv);

  // 1. The level formula (FPN paper, equation 1), worked by hand for two boxes of a ResNet-50 pyramid
  // (levels P2-P5: k from 2 to 5).
  std::printf("the level of a RoI: k = floor(4 + log2(sqrt(w h) / 224)), clamped to the pyramid's levels\n");
  for (const auto& [w, h] : {std::pair<double, double>{50, 60}, {300, 250}}) {
    const double s = std::sqrt(w * h), k = 4 + std::log2(s / 224);
    const Tensor box = from_vector<float>({0, 0, static_cast<float>(w), static_cast<float>(h)}, {1, 4});
    const int64_t level = roi_levels(box, 2, 5).to_vector<int64_t>()[0] + 2;
    std::printf("  a %.0f x %.0f box: sqrt(area) %.1f, 4 + log2(%.1f / 224) = %.2f, floor %.0f -> P%lld (stride %d)\n",
                w, h, s, s, k, std::floor(k), static_cast<long long>(level), 1 << level);
  }

  // 2. Two detectors, the same data and schedule: one map against the pyramid.
  std::filesystem::remove_all(out + "/single");
  std::filesystem::remove_all(out + "/pyramid");
  generate_fashion_scenes({out + "/fashion", images, 0, 256});
  const std::vector<std::string> settings = {
      "backbone.weights=", "train.iterations=" + std::to_string(iterations),
      "train.milestones=[" + std::to_string(iterations * 4 / 5) + "]", "train.warmup_iterations=" + std::to_string(iterations / 10),
      "train.checkpoint_every=" + std::to_string(iterations), "train.log_every=" + std::to_string(std::max<int64_t>(1, iterations / 20))};
  std::unique_ptr<FasterRcnn> models[2];
  std::unique_ptr<Generator> gens[2];
  const char* names[2] = {"single", "pyramid"};
  const char* configs[2] = {"configs/fashion_tiny.yaml", "configs/fashion_tiny_fpn.yaml"};
  const Dataset test = read_voc(out + "/fashion", "test", {read_classes(out + "/fashion")});
  DetectorConfig config[2];
  for (int m = 0; m < 2; ++m) {
    TrainOptions o;
    o.config = config[m] = load_config(configs[m], settings);
    o.data_dir = out + "/fashion";
    o.out_dir = out + "/" + names[m];
    o.progress = true;
    const TrainResult r = train_detector(o);
    std::printf("%-7s (%s): %lld iterations in %.0f s\n", names[m], configs[m], static_cast<long long>(r.iterations), r.seconds);
    gens[m] = std::make_unique<Generator>(0);
    models[m] = std::make_unique<FasterRcnn>(config_for_checkpoint(config[m]), static_cast<int64_t>(test.classes.size()), *gens[m]);
    load_checkpoint_model(r.checkpoint, *models[m]);
    models[m]->eval();
  }

  // 3. Proposal recall by object size: the pyramid's fine levels and one anchor size each.
  std::printf("proposal recall (a proposal at IoU >= 0.5 among the best 100) by object size, %zu test images:\n", test.items.size());
  std::printf("  %-14s %8s %8s %8s\n", "size", "objects", "single", "pyramid");
  Recall recall[2];
  for (int m = 0; m < 2; ++m) recall[m] = proposal_recall(*models[m], test, loader_options(config[m], false), 100);
  std::vector<Series> series;
  for (int m = 0; m < 2; ++m) series.push_back({names[m], {}, {}, palette(m + 1)});
  for (int b = 0; b < 3; ++b) {
    auto share = [&](const Recall& r) { return r.objects[b] ? static_cast<double>(r.found[b]) / r.objects[b] : 0.0; };
    std::printf("  %-14s %8d %8.3f %8.3f\n", kBinNames[b], recall[0].objects[b], share(recall[0]), share(recall[1]));
    for (int m = 0; m < 2; ++m) {
      series[m].x.push_back(b);
      series[m].y.push_back(share(recall[m]));
    }
  }
  save_png(line_plot(series, "proposal recall by object size", "size: 0 under 64 px, 1 64-96 px, 2 96 px and up",
                     "recall", 640, 400, PlotLimits{0, 2, 0, 1}),
           out + "/recall_by_size.png");

  // 4. The top-down path on one test image: the pyramid's maps P2-P5 (and its pool level), beside the
  // single map, each drawn at the image's size.
  const Annotation& shown = most_objects(test.items);
  const Sample sample = prepare_sample(shown, loader_options(config[1], false), false);
  std::vector<Image> maps_drawn = {load_image(shown.image_path)};
  std::vector<std::string> captions = {shown.id};
  {
    NoGradGuard no_grad;
    const Tensor batch = unsqueeze(sample.image, 0);
    const std::vector<Tensor> levels = models[1]->backbone->forward_maps(batch);
    const std::vector<int64_t> strides = models[1]->backbone->map_strides();
    for (size_t l = 0; l < levels.size(); ++l) {
      maps_drawn.push_back(map_picture(levels[l], static_cast<int>(strides[l])));
      captions.push_back(l + 1 < levels.size() ? "P" + std::to_string(l + 2) + " (stride " + std::to_string(strides[l]) + ")"
                                               : "pool (stride " + std::to_string(strides[l]) + ")");
    }
    maps_drawn.push_back(map_picture(models[0]->backbone->forward(batch), static_cast<int>(models[0]->backbone->stride)));
    captions.push_back("single map (stride " + std::to_string(models[0]->backbone->stride) + ")");
  }
  save_png(image_grid(maps_drawn, 4, 1, 6, captions), out + "/pyramid_maps.png");

  // 5. Which level each of the pyramid's best 30 proposals is pooled from (P2 red, P3 green, P4 blue).
  const Tensor proposals = models[1]->proposals(sample).boxes;
  const Tensor best = narrow(proposals, 0, 0, std::min<int64_t>(30, proposals.size(0)));
  const std::vector<int64_t> levels = roi_levels(best, 2, 4).to_vector<int64_t>();
  Image pooled_from = load_image(shown.image_path);
  int per_level[3] = {0, 0, 0};
  const std::vector<Box> boxes = box_list(best);
  for (size_t i = 0; i < boxes.size(); ++i) {
    const Box& b = boxes[i];
    const double s = sample.scale;
    ++per_level[levels[i]];
    draw_rect(pooled_from, int(b.x1 / s), int(b.y1 / s), int(b.x2 / s) - 1, int(b.y2 / s) - 1, palette(static_cast<int>(levels[i]) * 2 + 1), 1);
  }
  save_png(pooled_from, out + "/roi_levels.png");
  std::printf("the pyramid's best %zu proposals on %s are pooled from P2 %d, P3 %d, P4 %d\n", boxes.size(), shown.id.c_str(),
              per_level[0], per_level[1], per_level[2]);

  // 6. What it buys: AP, and COCO's by object area.
  for (int m = 0; m < 2; ++m) {
    EvaluateOptions e;
    e.data_dir = out + "/fashion";
    e.out_dir = out + "/" + names[m];
    e.coco_metric = true;
    e.progress = false;
    const DetectorEvaluation ev = evaluate_detector(*models[m], test.classes, e);
    std::printf("%-7s mAP@0.5 %.3f; COCO AP %.3f, AP_medium %.3f, AP_large %.3f\n", names[m], ev.scores.map, ev.coco->stats[0],
                ev.coco->stats[4], ev.coco->stats[5]);
  }
  std::printf("wrote %s/recall_by_size.png, %s/pyramid_maps.png and %s/roi_levels.png\n", out.c_str(), out.c_str(), out.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
