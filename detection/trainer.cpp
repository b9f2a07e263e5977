#include "detection/trainer.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/interrupt.h"
#include "core/progress.h"
#include "datasets/draw.h"
#include "datasets/generated.h"
#include "datasets/voc.h"
#include "detection/detector_checkpoint.h"
#include "layers/sgd.h"

namespace rcnn {

namespace fs = std::filesystem;

double learning_rate(const SolverConfig& s, int64_t iteration) {
  double lr = optim::StepLR{s.lr, s.milestones, s.gamma}.at(iteration);
  if (iteration < s.warmup_iterations) {
    const double t = static_cast<double>(iteration) / static_cast<double>(s.warmup_iterations);
    lr *= s.warmup_factor + (1 - s.warmup_factor) * t;
  }
  return lr;
}

LoaderOptions loader_options(const DetectorConfig& c, bool training) {
  LoaderOptions o;
  o.shorter_side = static_cast<int>(c.input.shorter_side);
  o.longer_side = static_cast<int>(c.input.longer_side);
  o.flip = training && c.input.flip;
  o.shuffle = training;
  o.seed = static_cast<uint64_t>(c.train.seed);
  o.skip_unreadable = true;
  return o;
}

namespace {

nlohmann::json to_json(const IterationLog& l) {
  return {{"iteration", l.iteration}, {"loss", l.total},         {"rpn_class", l.rpn_class}, {"rpn_box", l.rpn_box},
          {"rcnn_class", l.rcnn_class}, {"rcnn_box", l.rcnn_box}, {"lr", l.lr}};
}

// The log's lines up to `iteration` (a resumed run rewrites what came after its checkpoint).
std::vector<IterationLog> read_log(const std::string& path, int64_t iteration) {
  std::vector<IterationLog> logs;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("iteration") || j["iteration"].get<int64_t>() > iteration) continue;
    logs.push_back({j["iteration"], j["loss"], j["rpn_class"], j["rpn_box"], j["rcnn_class"], j["rcnn_box"], j["lr"]});
  }
  return logs;
}

void plot_losses(const std::vector<IterationLog>& logs, const std::string& path) {
  if (logs.empty()) return;
  std::vector<Series> series = {{"total", {}, {}, palette(0)},      {"rpn class", {}, {}, palette(1)},
                                {"rpn box", {}, {}, palette(2)},    {"rcnn class", {}, {}, palette(3)},
                                {"rcnn box", {}, {}, palette(4)}};
  for (const IterationLog& l : logs) {
    const double values[] = {l.total, l.rpn_class, l.rpn_box, l.rcnn_class, l.rcnn_box};
    for (size_t i = 0; i < series.size(); ++i) {
      series[i].x.push_back(static_cast<double>(l.iteration));
      series[i].y.push_back(values[i]);
    }
  }
  save_png(line_plot(series, "training losses (mean over each logging window)", "iteration", "loss"), path);
}

// What the progress bar shows after its timings: the last logging window's losses and the rate.
std::string progress_text(const IterationLog& l) {
  char text[160];
  std::snprintf(text, sizeof text, "loss %.3f (rpn %.3f %.3f, rcnn %.3f %.3f) lr %.2g", l.total, l.rpn_class, l.rpn_box,
                l.rcnn_class, l.rcnn_box, l.lr);
  return text;
}

// Means over a logging window.
struct Window {
  IterationLog sum;
  int64_t count = 0;
  void add(const IterationLog& l) {
    sum.total += l.total, sum.rpn_class += l.rpn_class, sum.rpn_box += l.rpn_box;
    sum.rcnn_class += l.rcnn_class, sum.rcnn_box += l.rcnn_box;
    ++count;
  }
  IterationLog mean(int64_t iteration, double lr) const {
    const double n = static_cast<double>(count);
    return {iteration, sum.total / n, sum.rpn_class / n, sum.rpn_box / n, sum.rcnn_class / n, sum.rcnn_box / n, lr};
  }
};

}  // namespace

TrainResult train_detector(const TrainOptions& options) {
  const DetectorConfig& config = options.config;
  const SolverConfig& solver = config.train;
  fs::create_directories(options.out_dir);
  const std::string checkpoint = (fs::path(options.out_dir) / "checkpoint.safetensors").string();
  const std::string log_path = (fs::path(options.out_dir) / "log.jsonl").string();
  const std::string plot_path = (fs::path(options.out_dir) / "losses.png").string();
  check(options.resume || !fs::exists(checkpoint), options.out_dir,
        " already holds a run (checkpoint.safetensors): continue it with --resume, or choose another --out");
  check(!options.resume || fs::exists(checkpoint), "--resume: ", options.out_dir, " holds no checkpoint to resume from");

  VocReadOptions read_options;
  read_options.classes = read_classes(options.data_dir);
  read_options.missing_image = OnMissingImage::WarnAndSkip;
  const Dataset data = read_voc(options.data_dir, options.split, read_options);
  check(!data.items.empty(), options.data_dir, ": split '", options.split, "' has no images to train on");

  Generator gen(static_cast<uint64_t>(solver.seed));
  FasterRcnn model(config, static_cast<int64_t>(data.classes.size()), gen);
  model.to(options.device);
  model.train();
  const double bias_decay = solver.bias_weight_decay ? solver.weight_decay : 0;
  optim::SGD optimizer(optim::weight_and_bias_groups(model, solver.weight_decay, solver.bias_lr_factor, bias_decay),
                       {solver.lr, solver.momentum, 0});
  DetectorInfo info{config, data.classes, 0, 0};
  std::vector<IterationLog> logs;
  if (options.resume) {
    const DetectorInfo saved = read_detector_info(checkpoint);
    DetectorConfig same = config;  // how long to train and how often to save may change on resume
    same.train.iterations = saved.config.train.iterations;
    same.train.checkpoint_every = saved.config.train.checkpoint_every;
    same.train.log_every = saved.config.train.log_every;
    std::string differences;
    for (const std::string& d : config_differences(saved.config, same)) differences += "\n  " + d;
    check(differences.empty(), checkpoint, " was trained with another config (saved vs now):", differences);
    check(saved.classes == data.classes, checkpoint, " was trained on other classes than ", options.data_dir, "'s");
    info.iteration = load_checkpoint(checkpoint, model, optimizer, gen);
    info.position = saved.position;
    logs = read_log(log_path, info.iteration);
  }
  {  // the log as far as the checkpoint, and a readable copy of the config
    std::ofstream log(log_path, std::ios::trunc);
    for (const IterationLog& l : logs) log << to_json(l).dump() << "\n";
    std::ofstream(fs::path(options.out_dir) / "config.yaml") << to_yaml(config);
  }
  std::ofstream log(log_path, std::ios::app);

  auto save = [&] {
    save_checkpoint(checkpoint, model, optimizer, info.iteration, gen, detector_metadata(info));
    plot_losses(logs, plot_path);
  };

  install_interrupt_handler();
  const int64_t images = static_cast<int64_t>(data.items.size());
  Loader loader(data, loader_options(config, true));
  int64_t epoch = info.position / images;
  loader.start_epoch(epoch);
  Sample sample;
  for (int64_t i = 0; i < info.position % images; ++i) loader.next(sample);

  TrainResult result;
  const int64_t start = info.iteration;
  ProgressBar bar(start > 0 ? "train (resumed at " + std::to_string(start) + ")" : "train", solver.iterations - start, "img");
  Window window;
  while (info.iteration < solver.iterations) {
    if (interrupted()) {
      result.interrupted = true;
      break;
    }
    const auto wait_start = std::chrono::steady_clock::now();
    const bool more = loader.next(sample);
    result.waiting_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - wait_start).count();
    if (!more) {
      loader.start_epoch(++epoch);
      continue;
    }
    ++info.position;
    if (!sample.error.empty()) {
      ++result.unreadable;
      std::cerr << "\nwarning: skipped image " << sample.id << " (" << result.unreadable << " so far): " << sample.error << "\n";
      check(result.unreadable < images, "no image of ", options.data_dir, " '", options.split, "' could be read");
      continue;
    }
    const double lr = learning_rate(solver, info.iteration);
    optimizer.set_lr(lr);
    optimizer.zero_grad();
    // A diverging run shows as outputs (FasterRcnn throws NotFinite) or a loss that are not finite.
    auto diverged = [&](const std::string& what) {
      return Error(concat_message(
          "iteration ", info.iteration + 1, " (image ", sample.id, "): ", what, "; training stopped. ",
          fs::exists(checkpoint) ? "The last good checkpoint is " + checkpoint + " (iteration " +
                                       std::to_string(read_detector_info(checkpoint).iteration) + ")"
                                 : std::string("No checkpoint was saved yet"),
          ". A lower learning rate (--set train.lr=...) or gradient clipping (--set train.max_grad_norm=10) may help."));
    };
    DetectorLosses l;
    try {
      l = model.losses(sample, gen);
    } catch (const NotFinite& e) {
      throw diverged(e.what());
    }
    const IterationLog now{info.iteration + 1, l.total.item(), l.rpn_class.item(), l.rpn_box.item(),
                           l.rcnn_class.item(), l.rcnn_box.item(), lr};
    if (!std::isfinite(now.total)) {
      log << to_json(now).dump() << "\n";
      throw diverged(concat_message("the loss is not finite (rpn class ", now.rpn_class, ", rpn box ", now.rpn_box,
                                    ", rcnn class ", now.rcnn_class, ", rcnn box ", now.rcnn_box, ")"));
    }
    if (solver.max_grad_norm > 0) {  // clipping needs every gradient before the first update
      l.total.backward();
      optim::clip_grad_norm(model.parameters(), solver.max_grad_norm);
      optimizer.step();
    } else {
      // Each parameter is updated as soon as its gradient is complete, and the gradient dropped: fc6's
      // (245 MiB with MobileNetV2's 1280 channels) is gone before the RPN's is made. The same numbers.
      l.total.backward([&](Tensor& param) {
        optimizer.step(param);
        param.zero_grad();
      });
    }
    info.iteration = now.iteration;
    window.add(now);
    if (info.iteration % solver.log_every == 0 || info.iteration == solver.iterations) {
      logs.push_back(window.mean(info.iteration, lr));
      log << to_json(logs.back()).dump() << std::endl;
      window = {};
    }
    if (options.on_iteration) options.on_iteration(model, now);
    if (info.iteration % solver.checkpoint_every == 0) save();
    if (options.progress) bar.update(info.iteration - start, progress_text(logs.empty() ? now : logs.back()));
  }
  save();
  if (options.progress) {
    const std::string last = logs.empty() ? std::string() : progress_text(logs.back());
    bar.stop(info.iteration - start, result.interrupted ? "interrupted; " + last : last);
  }
  result.iterations = info.iteration;
  result.seconds = bar.elapsed_seconds();
  result.checkpoint = checkpoint;
  return result;
}

}  // namespace rcnn
