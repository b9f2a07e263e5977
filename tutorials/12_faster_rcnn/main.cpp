// Chapter 12 — Faster R-CNN end to end. Assembles chapters 05-10 into one detector (FasterRcnn),
// trains it from scratch on generated shapes with the demo's config, and draws what the RPN and the
// R-CNN head have learned on one test image after the first step, after a few hundred and at the end,
// beside the four losses falling.
//   build/cpu/bin/12_faster_rcnn [--out runs/12_faster_rcnn] [--iterations 1200] [--images 300]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "datasets/draw.h"
#include "datasets/generated.h"
#include "datasets/voc.h"
#include "detection/trainer.h"
#include "ops/ops.h"

using namespace rcnn;

int main(int argc, char** argv) try {
  CLI::App app{"Chapter 12: Faster R-CNN end to end"};
  std::string out = "runs/12_faster_rcnn", config_path = "configs/shapes_tiny.yaml";
  int64_t iterations = 1200, images = 300, snapshot = 300;
  app.add_option("--out", out, "where the data, the run and the pictures go");
  app.add_option("--config", config_path, "the detector's config");
  app.add_option("--iterations", iterations, "training iterations (one image each)")->check(CLI::PositiveNumber);
  app.add_option("--snapshot", snapshot, "the iteration drawn between the first and the last")->check(CLI::PositiveNumber);
  app.add_option("--images", images, "images to generate")->check(CLI::Range(10, 100000));
  std::vector<std::string> overrides;  // as rcnn train's: the exercises change the config this way
  app.add_option("--set", overrides, "override a config value: --set rpn.class_weight=0 (repeatable)");
  CLI11_PARSE(app, argc, argv);
  std::filesystem::remove_all(out + "/run");  // a fresh run each time: this chapter is about watching it learn

  const Dataset data = generate_shapes({out + "/shapes", images, 12, 256});
  const Dataset test = read_voc(out + "/shapes", "test", {data.classes});
  const Annotation shown = most_objects(test.items);
  // The demo's schedule, shortened: the rate drops tenfold for the last quarter.
  TrainOptions o;
  std::vector<std::string> settings = {"train.iterations=" + std::to_string(iterations),
                                       "train.milestones=[" + std::to_string(iterations * 3 / 4) + "]",
                                       "train.checkpoint_every=" + std::to_string(iterations),
                                       "train.log_every=" + std::to_string(std::max<int64_t>(1, iterations / 60))};
  settings.insert(settings.end(), overrides.begin(), overrides.end());  // the student's, last: they win
  o.config = load_config(config_path, settings);
  o.data_dir = out + "/shapes";
  o.out_dir = out + "/run";
  o.progress = true;  // the trainer's bar on stderr: minutes of training are not silent
  std::printf("Faster R-CNN (%s backbone, %zu anchors per cell, %s RoI pooling) on %zu shapes images; drawing test "
              "image %s (%zu objects)\n",
              o.config.backbone.name.c_str(), o.config.anchors.sizes.size() * o.config.anchors.ratios.size(),
              o.config.roi.method.c_str(), data.items.size(), shown.id.c_str(), shown.objects.size());

  // What the detector makes of the shown image: the RPN's best 10 proposals, and the detections.
  const Sample sample = prepare_sample(shown, loader_options(o.config, false), false);
  const Image original = load_image(shown.image_path);
  std::vector<Image> rows[2];
  std::vector<std::string> captions[2];
  auto draw = [&](FasterRcnn& model, const IterationLog& l) {
    model.eval();
    Image proposed = original, detected = original;
    const std::vector<Box> boxes = box_list(model.proposals(sample).boxes);
    for (size_t i = 0; i < boxes.size() && i < 10; ++i) {
      const Box& b = boxes[i];
      const double s = sample.scale;
      draw_rect(proposed, int(b.x1 / s), int(b.y1 / s), int(b.x2 / s) - 1, int(b.y2 / s) - 1, palette(int(i)), 1);
    }
    int confident = 0;
    LabelTabs tabs;  // an untrained head puts dozens of boxes on one spot: each label a place of its own
    for (const Detection& d : model.detect(sample)) {
      if (d.score < 0.5) continue;
      ++confident;
      char label[32];
      std::snprintf(label, sizeof label, "%s %.2f", data.classes[d.label].c_str(), d.score);
      draw_labelled_box(detected, d.box, label, palette(static_cast<int>(d.label) + 1), 2, tabs);
    }
    model.train();
    std::printf("step %5lld: loss %.3f = rpn class %.3f + rpn box %.3f + rcnn class %.3f + rcnn box %.3f; %d detections "
                "scoring 0.5 or more\n",
                static_cast<long long>(l.iteration), l.total, l.rpn_class, l.rpn_box, l.rcnn_class, l.rcnn_box, confident);
    rows[0].push_back(proposed);
    rows[1].push_back(detected);
    captions[0].push_back("step " + std::to_string(l.iteration) + ": RPN's best 10");
    captions[1].push_back("step " + std::to_string(l.iteration) + ": detections >= 0.5");
  };
  o.on_iteration = [&](FasterRcnn& model, const IterationLog& l) {
    if (l.iteration == 1 || l.iteration == snapshot || l.iteration == iterations) draw(model, l);
  };
  const TrainResult r = train_detector(o);
  std::printf("trained %lld iterations in %.0f s; the loss curve is in %s/run/losses.png\n",
              static_cast<long long>(r.iterations), r.seconds, out.c_str());
  std::vector<Image> grid = rows[0];
  grid.insert(grid.end(), rows[1].begin(), rows[1].end());
  std::vector<std::string> labels = captions[0];
  labels.insert(labels.end(), captions[1].begin(), captions[1].end());
  save_png(image_grid(grid, static_cast<int>(rows[0].size()), 1, 6, labels), out + "/steps.png");
  std::printf("wrote %s/steps.png\n", out.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
