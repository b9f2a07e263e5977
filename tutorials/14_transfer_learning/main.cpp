// Chapter 14 — Transfer learning on real photographs. ImageNet's MobileNetV2 becomes the backbone of a
// detector of apples, bananas and oranges (README: Real photographs). One short schedule is trained
// three times: the backbone frozen, the backbone fine-tuned, and fine-tuned at ten times the learning
// rate; each is scored on the test photographs, and the first two are drawn on three of them.
//   build/cpu/bin/14_transfer_learning [--data DIR] [--weights FILE] [--out runs/14_transfer_learning]
//                                      [--iterations 200] [--lr 0.001] [--test-images 60]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <stdexcept>

#include "datasets/data_folder.h"
#include "datasets/draw.h"
#include "detection/evaluate.h"
#include "detection/predictor.h"
#include "detection/trainer.h"

using namespace rcnn;
namespace fs = std::filesystem;

namespace {

struct Variant {
  std::string name;
  int64_t frozen_convs;  // of MobileNetV2's 52
  double lr;
};

// Thrown from the trainer's callback: a loss a hundred times its first value does not come back, and
// the rest of the schedule would only cost time.
struct Diverged : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Outcome {
  std::string stopped;  // why training stopped early, when it did
  int64_t trainable = 0;
  double seconds_per_iteration = 0, last_loss = 0, map = 0;
};

int64_t trainable_parameters(const FasterRcnn& model) {
  int64_t n = 0;
  for (const Tensor& p : model.parameters())
    if (p.requires_grad()) n += p.numel();
  return n;
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"Chapter 14: transfer learning on real photographs"};
  std::string data_dir = "../shared/data/fruit/VOCdevkit/VOC2007", weights = "../shared/weights/mobilenet_v2_imagenet.safetensors";
  std::string out = "runs/14_transfer_learning";
  int64_t iterations = 200, test_images = 60;
  double lr = 0.001;
  app.add_option("--data", data_dir, "fruit photographs in VOC layout (README: Real photographs)");
  app.add_option("--weights", weights, "ImageNet MobileNetV2 in torchvision's names (scripts/export_weights.py)");
  app.add_option("--out", out, "where the runs and the pictures go");
  app.add_option("--iterations", iterations, "training iterations of each run (one photograph each)")->check(CLI::PositiveNumber);
  app.add_option("--lr", lr, "the learning rate of the first two runs; the third takes ten times it")->check(CLI::PositiveNumber);
  app.add_option("--test-images", test_images, "test photographs to score on (the first N of the split)")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  for (const std::string& needed : {data_dir, weights})
    if (!fs::exists(needed)) {
      std::printf("chapter 14 skipped: no %s. It needs ImageNet MobileNetV2 weights and the fruit photographs: the "
                  "README's section \"Real photographs\" says how to get both (then --data DIR --weights FILE).\n",
                  needed.c_str());
      return 0;
    }

  // demo-real's settings (configs/fruit_mobilenet_v2.yaml) on a short schedule: a sixth of its
  // iterations, the same warm-up share and the rate's drop at three quarters; and two cheaper heads
  // (an RPN convolution 256 wide instead of 1 280, 64 RoIs an image instead of 128), which, measured
  // at 300 steps, end as good (README).
  const std::vector<std::string> schedule = {
      "rpn.channels=256", "rcnn.batch_size=64",
      "backbone.weights=" + weights, "train.iterations=" + std::to_string(iterations),
      "train.checkpoint_every=" + std::to_string(iterations), "train.milestones=[" + std::to_string(iterations * 3 / 4) + "]",
      "train.warmup_iterations=" + std::to_string(iterations / 10), "train.log_every=" + std::to_string(std::max<int64_t>(1, iterations / 30))};
  const std::vector<Variant> variants = {{"frozen backbone", 52, lr}, {"fine-tuned", 9, lr}, {"fine-tuned, lr x 10", 9, 10 * lr}};

  Dataset test = read_dataset(data_dir, "test", DataPurpose::Evaluation);
  if (test.items.size() > static_cast<size_t>(test_images)) test.items.resize(static_cast<size_t>(test_images));
  std::printf("MobileNetV2 (ImageNet) -> Faster R-CNN for %zu classes; %lld iterations per run, scored on %zu test "
              "photographs (VOC area AP)\n",
              test.classes.size(), static_cast<long long>(iterations), test.items.size());

  std::vector<Outcome> outcomes;
  std::vector<std::pair<std::string, std::vector<Image>>> drawn;  // a row of pictures per run that finished
  // One test photograph per class (the first that holds one), to draw the runs' detections on.
  std::vector<Annotation> shown;
  for (size_t c = 0; c < test.classes.size(); ++c)
    for (const Annotation& a : test.items)
      if (std::any_of(a.objects.begin(), a.objects.end(), [&](const Object& o) { return o.label == static_cast<int64_t>(c); })) {
        if (std::none_of(shown.begin(), shown.end(), [&](const Annotation& s) { return s.id == a.id; })) shown.push_back(a);
        break;
      }

  for (const Variant& v : variants) {
    TrainOptions o;
    std::vector<std::string> settings = schedule;
    settings.push_back("backbone.frozen_convs=" + std::to_string(v.frozen_convs));
    settings.push_back("train.lr=" + std::to_string(v.lr));
    o.config = load_config("configs/fruit_mobilenet_v2.yaml", settings);
    o.data_dir = data_dir;
    o.out_dir = out + "/" + std::to_string(outcomes.size() + 1) + "_" + std::to_string(v.frozen_convs) + "_frozen";
    fs::remove_all(o.out_dir);  // each run from the start: the chapter compares whole runs
    Outcome r;
    double first = 0;
    std::vector<double> losses;
    o.on_iteration = [&](FasterRcnn&, const IterationLog& l) {
      if (l.iteration == 1) first = l.total;
      losses.push_back(l.total);
      if (l.total > 100 * first)
        throw Diverged(concat_message("at iteration ", l.iteration, " the loss is ", l.total, ", over 100 times its first (", first, ")"));
    };
    std::fprintf(stderr, "%s: %lld of 52 convolutions frozen, lr %g\n", v.name.c_str(), static_cast<long long>(v.frozen_convs), v.lr);
    try {
      const TrainResult t = train_detector(o);
      r.seconds_per_iteration = t.seconds / static_cast<double>(t.iterations);
    } catch (const Diverged& e) {
      r.stopped = e.what();
    } catch (const Error& e) {  // the trainer's own check: a loss or an output that is not finite
      r.stopped = e.what();
    }
    // One photograph's loss is noisy: the mean over the last tenth of the run says where it ended.
    const size_t tail = std::min(losses.size(), std::max<size_t>(1, losses.size() / 10));
    r.last_loss = tail > 0 ? std::accumulate(losses.end() - static_cast<std::ptrdiff_t>(tail), losses.end(), 0.0) / tail : 0;
    if (r.stopped.empty()) {
      LoadedDetector d = load_detector(o.out_dir);
      r.trainable = trainable_parameters(*d.model);
      r.map = evaluate_voc(test, detect_dataset(*d.model, test, /*progress=*/false).detections, /*use_07_metric=*/false).map;
      std::vector<Image> row;
      for (const Annotation& a : shown) {
        const Image photo = load_image(a.image_path);
        const std::vector<PredictedObject> found = predict_objects(d, photo, 0.7);
        // Shown 400 pixels wide, the boxes drawn after resizing so their labels stay legible.
        const double zoom = 400.0 / photo.width;
        Image image = resize_bilinear(photo, 400, std::max(1, static_cast<int>(photo.height * zoom + 0.5)));
        LabelTabs tabs;
        for (const PredictedObject& p : found) {
          char label[48];
          std::snprintf(label, sizeof label, "%s %.2f", p.label.c_str(), p.score);
          draw_labelled_box(image, scale_box(p.box, static_cast<float>(zoom)), label, palette(static_cast<int>(p.class_index) + 1), 2, tabs);
        }
        row.push_back(image);
      }
      drawn.emplace_back(v.name, row);
    }
    outcomes.push_back(r);
  }

  std::printf("\n%-22s %9s %16s %12s %10s %8s\n", "run", "lr", "trained weights", "s/iteration", "final loss", "mAP");
  for (size_t i = 0; i < variants.size(); ++i) {
    const Outcome& r = outcomes[i];
    if (!r.stopped.empty()) {
      std::printf("%-22s %9g   stopped: %s\n", variants[i].name.c_str(), variants[i].lr, r.stopped.c_str());
      continue;
    }
    std::printf("%-22s %9g %14.2fM %12.2f %10.3f %8.4f\n", variants[i].name.c_str(), variants[i].lr, r.trainable / 1e6,
                r.seconds_per_iteration, r.last_loss, r.map);
  }
  std::vector<Image> tiles;
  std::vector<std::string> captions;
  for (const auto& [name, row] : drawn)
    for (size_t k = 0; k < row.size(); ++k) {
      tiles.push_back(row[k]);
      captions.push_back(name + ": " + shown[k].id + ", detections >= 0.7");
    }
  if (!tiles.empty()) {
    save_png(image_grid(tiles, static_cast<int>(shown.size()), 1, 6, captions), out + "/detections.png");
    std::printf("wrote %s/detections.png (a row per run that finished)\n", out.c_str());
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
