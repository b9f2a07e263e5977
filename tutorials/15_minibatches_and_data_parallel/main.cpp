// Chapter 15 — Minibatches and data-parallel SGD. Shows that the gradient of a step of two images is
// the mean of the two images' gradients, draws what an all-reduce does with them, and then trains the
// demo's detector twice side by side, as one process with two images a step and as two processes of
// one image each (`mpirun -np 2`, this program started again as each rank), printing both losses.
//   build/cpu/bin/15_minibatches_and_data_parallel [--out runs/15_minibatches_and_data_parallel] [--steps 30]
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "datasets/draw.h"
#include "datasets/generated.h"
#include "datasets/voc.h"
#include "core/threads.h"
#include "detection/trainer.h"
#include "distributed/world.h"
#include "ops/ops.h"

using namespace rcnn;
namespace fs = std::filesystem;

namespace {

// The demo's config, small enough for a chapter: 128-pixel images, narrow heads, every step logged.
DetectorConfig chapter_config(int64_t steps, int64_t images_per_step) {
  return load_config("configs/shapes_tiny.yaml",
                     {"input.shorter_side=128", "input.longer_side=128", "rcnn.hidden=128", "rpn.channels=64",
                      "train.iterations=" + std::to_string(steps), "train.warmup_iterations=5", "train.log_every=1",
                      "train.checkpoint_every=100000", "train.images_per_step=" + std::to_string(images_per_step)});
}

// Bars of a gradient's values, one panel: what one rank holds, or what all of them hold after the all-reduce.
Image bars(const std::vector<float>& values, float limit, const std::string& title, Color color) {
  const int width = 360, height = 150, middle = 80, bar = width / static_cast<int>(values.size());
  Image image(width, height);
  draw_line(image, 0, middle, width - 1, middle, {160, 160, 160});
  for (size_t i = 0; i < values.size(); ++i) {
    const int h = static_cast<int>(std::lround(values[i] / limit * 60));
    const int x = static_cast<int>(i) * bar;
    fill_rect(image, x + 1, std::min(middle, middle - h), x + bar - 2, std::max(middle, middle - h), color);
  }
  draw_text(image, 4, height - 14, title, {0, 0, 0});
  return image;
}

std::vector<nlohmann::json> read_log(const std::string& path) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"Chapter 15: minibatches and data-parallel SGD"};
  std::string out = "runs/15_minibatches_and_data_parallel", rank_run;
  int64_t steps = 30;
  app.add_option("--out", out, "where the data, the runs and the pictures go");
  app.add_option("--steps", steps, "training steps of each run")->check(CLI::Range(2, 100000));
  app.add_option("--rank-run", rank_run, "(used by mpirun: train as one rank into this folder)");
  CLI11_PARSE(app, argc, argv);
  // One thread everywhere: a sum split over a different number of threads is added in another order,
  // and a few steps of training turn those last-bit differences into visible ones (exercise 1).
  set_cpu_threads(1);
  if (!rank_run.empty()) {  // one of the two processes mpirun started: the same trainer, in a world of two
    TrainOptions o;
    o.config = chapter_config(steps, 1);
    o.data_dir = out + "/shapes";
    o.out_dir = rank_run;
    o.progress = false;
    train_detector(o);
    return 0;
  }
  fs::remove_all(out + "/one_process");
  fs::remove_all(out + "/two_processes");
  generate_shapes({out + "/shapes", 60, 15, 128});

  // 1. A step's gradient is the mean of its images' gradients (the loss is their mean).
  const DetectorConfig config = chapter_config(steps, 2);
  const Dataset data = read_voc(out + "/shapes", "trainval", {shapes_classes()});
  Generator gen(0);
  FasterRcnn model(config, 3, gen);
  model.train();
  const Tensor& bias = model.rpn->head->cls_logits->bias;  // 24 numbers: easy to draw
  std::vector<std::vector<float>> per_image;
  std::vector<Sample> batch;
  for (int i = 0; i < 2; ++i) {
    batch.push_back(prepare_sample(data.items[i], loader_options(config, true), false));
    batch.back().position = i;
    gen.seed(item_seed(0, static_cast<uint64_t>(i)));  // each image's draws from its own position
    model.losses(batch.back(), gen).total.backward();
    per_image.push_back(bias.grad().to_vector<float>());
    for (auto [name, p] : model.named_parameters()) p.zero_grad();
  }
  model.losses(batch, gen, [&](size_t i) { gen.seed(item_seed(0, i)); }).total.backward();
  const std::vector<float> together = bias.grad().to_vector<float>();
  std::vector<float> mean(together.size());
  float largest = 0, limit = 1e-12f;
  for (size_t k = 0; k < mean.size(); ++k) {
    mean[k] = (per_image[0][k] + per_image[1][k]) / 2;
    largest = std::max(largest, std::abs(mean[k] - together[k]));
    limit = std::max({limit, std::abs(per_image[0][k]), std::abs(per_image[1][k])});
  }
  std::printf("the gradient of rpn.head.cls_logits.bias (%zu numbers) for a step of 2 images equals the mean of the "
              "2 images' gradients: largest difference %.1e\n",
              mean.size(), largest);
  save_png(image_grid({bars(per_image[0], limit, "rank 0: image 0's gradient", palette(1)),
                       bars(per_image[1], limit, "rank 1: image 1's gradient", palette(2)),
                       bars(mean, limit, "all-reduce: (sum) / 2, on both ranks", palette(0))},
                      3, 1, 8),
           out + "/all_reduce.png");
  std::printf("wrote %s/all_reduce.png\n", out.c_str());

  // 2. The same training as one process of 2 images a step and as 2 processes of 1 image.
  TrainOptions o;
  o.config = config;
  o.data_dir = out + "/shapes";
  o.out_dir = out + "/one_process";
  o.progress = false;
  const TrainResult one = train_detector(o);
  // mpirun starts this program twice with --rank-run; on loopback only, and allowed as root (CI's containers).
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  check(std::system("command -v mpirun > /dev/null") == 0,
        "mpirun is not installed: `make deps` installs OpenMPI (openmpi-bin), which the second run needs");
  const std::string command = "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe "
                              "--mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo -np 2 " +
                              self + " --out " + out + " --steps " + std::to_string(steps) + " --rank-run " + out +
                              "/two_processes > " + out + "/mpirun.log 2>&1";
  check(std::system(command.c_str()) == 0, "mpirun -np 2 failed: ", out, "/mpirun.log says why");

  const auto a = read_log(out + "/one_process/log.jsonl"), b = read_log(out + "/two_processes/log.jsonl");
  check(a.size() == b.size() && !a.empty(), "the two runs logged ", a.size(), " and ", b.size(), " steps");
  std::printf("step  1 process x 2 images  2 processes x 1 image\n");
  double worst = 0;
  Series sa{"1 process x 2 images", {}, {}, palette(1)}, sb{"2 processes x 1 image", {}, {}, palette(2)};
  for (size_t i = 0; i < a.size(); ++i) {
    const double la = a[i]["loss"], lb = b[i]["loss"];
    worst = std::max(worst, std::abs(la - lb) / std::abs(la));
    sa.x.push_back(static_cast<double>(i + 1)), sa.y.push_back(la);
    sb.x.push_back(static_cast<double>(i + 1)), sb.y.push_back(lb);
    if (i == 0 || (i + 1) % 10 == 0) std::printf("%4zu  %20.6f  %21.6f\n", i + 1, la, lb);
  }
  // Float32 losses that agree to a millionth are one run; beyond that, a sum was split another way.
  const bool agree = worst <= 1e-6;
  std::printf("the two runs %s: largest relative difference of the losses over %zu steps %.1e (%lld images each)\n",
              agree ? "agree" : "differ", a.size(), worst, static_cast<long long>(one.images));
  save_png(line_plot({sa, sb}, agree ? "one training, two ways: the curves coincide" : "one training, two ways: the curves part",
                     "step", "loss"),
           out + "/losses.png");
  std::printf("wrote %s/losses.png\n", out.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
