#include "detection/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/interrupt.h"
#include "core/progress.h"
#include "datasets/data_folder.h"
#include "datasets/draw.h"
#include "datasets/generated.h"
#include "datasets/voc.h"
#include "detection/detector_checkpoint.h"
#include "distributed/gradient_reducer.h"
#include "ops/ops.h"
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
  return {{"iteration", l.iteration}, {"images", l.images},   {"loss", l.total},         {"rpn_class", l.rpn_class},
          {"rpn_box", l.rpn_box},     {"rcnn_class", l.rcnn_class}, {"rcnn_box", l.rcnn_box}, {"lr", l.lr}};
}

// The log's lines up to `iteration` (a resumed run rewrites what came after its checkpoint).
std::vector<IterationLog> read_log(const std::string& path, int64_t iteration) {
  std::vector<IterationLog> logs;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("iteration") || j["iteration"].get<int64_t>() > iteration) continue;
    logs.push_back({j["iteration"], j["loss"], j["rpn_class"], j["rpn_box"], j["rcnn_class"], j["rcnn_box"], j["lr"],
                    j.value("images", j["iteration"].get<int64_t>())});
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
  save_png(line_plot(series, "training losses (mean over each logging window)", "step", "loss"), path);
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

namespace {

// What identifies an image file without reading it whole: its size and its first and last 4 KiB (a
// JPEG's header and tables, and where its data ends), so folders with the same names but other pictures differ.
std::string file_identity(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "missing";
  const std::streamoff size = in.tellg(), edge = std::min<std::streamoff>(size, 4096);
  std::string bytes(static_cast<size_t>(2 * edge), '\0');
  in.seekg(0);
  in.read(bytes.data(), edge);
  in.seekg(size - edge);
  in.read(bytes.data() + edge, edge);
  return std::to_string(size) + " " + std::to_string(distributed::fingerprint(bytes));  // 8 KiB an image, not kept
}

// Processes started with other configs, data or splits would average gradients of different models:
// every rank compares its fingerprint with rank 0's, and all refuse together, naming who differs.
void check_same_run(distributed::World& world, const DetectorConfig& config, const Dataset& data, const std::string& split) {
  if (world.size() == 1) return;
  std::string run = to_yaml(config) + "\nsplit " + split + "\nclasses";
  for (const std::string& c : data.classes) run += " " + c;
  for (const Annotation& a : data.items) run += "\n" + a.id + " " + file_identity(a.image_path);
  const std::vector<int> ranks = distributed::ranks_differing_from_root(world, run);
  if (!ranks.empty())
    throw distributed::AgreedError(concat_message(
        "rank ", distributed::ranks_text(ranks), " of ", world.size(), " was started with another config, data set or split than rank 0 ",
        "(compared: the config with every --set, the split's image list, each image file's size and first and last 4 KiB, and the class names); give every process ",
        "the same --config, --set, --data and --split, with the data at the same path on every machine"));
}

// Every process starts from rank 0's weights, momentum and position in the data (after --resume, only
// rank 0 has read the checkpoint: the run folder need not exist on other machines).
void share_state(distributed::World& world, FasterRcnn& model, optim::SGD& optimizer, DetectorInfo& info) {
  if (world.size() == 1) return;
  for (const auto& [name, p] : model.named_parameters()) world.broadcast({p});
  std::map<std::string, Tensor> momentum;
  for (const auto& [name, v] : optimizer.state()) momentum[name] = v;
  std::vector<std::pair<std::string, Tensor>> params;
  for (const optim::ParamGroup& g : optimizer.groups())
    for (const auto& [name, p] : g.params) params.emplace_back("momentum." + name, p);
  std::vector<int64_t> has(params.size() + 2);
  for (size_t i = 0; i < params.size(); ++i) has[i] = momentum.count(params[i].first);
  has[params.size()] = info.iteration;
  has[params.size() + 1] = info.position;
  const Tensor known = from_vector(has, {static_cast<int64_t>(has.size())});
  world.broadcast({known});
  has = known.to_vector<int64_t>();
  info.iteration = has[params.size()];
  info.position = has[params.size() + 1];
  NamedTensors state;
  for (size_t i = 0; i < params.size(); ++i) {
    if (!has[i]) continue;
    auto it = momentum.find(params[i].first);
    const Tensor v = it != momentum.end() ? it->second : zeros(params[i].second.shape(), params[i].second.options());
    world.broadcast({v});
    state.emplace_back(params[i].first, v);
  }
  optimizer.load_state(state);
}

// RCNN_FAULT=RANK:STEP:throw|exit|kill|stop makes that rank fail as STEP begins (stop: SIGSTOP, as a
// rank that hangs): how the tests check that every rank stops, with one line naming the cause, when
// one of them fails (docs/training.md).
void inject_fault(const distributed::World& world, int64_t step) {
  const char* spec = std::getenv("RCNN_FAULT");
  if (!spec) return;
  int rank = -1;
  long long at = -1;
  char kind[16] = {};
  check(std::sscanf(spec, "%d:%lld:%15s", &rank, &at, kind) == 3, "RCNN_FAULT: '", spec, "' is not RANK:STEP:throw|exit|kill|stop");
  if (rank != world.rank() || at != step) return;
  const std::string k = kind;
  if (k == "exit") std::_Exit(3);
  if (k == "kill") std::raise(SIGKILL);
  if (k == "stop") {  // when continued (SIGCONT), the rank goes on as if it had only been slow
    std::raise(SIGSTOP);
    return;
  }
  throw Error(concat_message("a fault injected by RCNN_FAULT=", spec));
}

// What one process adds to a step, summed over processes in one small all-reduce: the images used,
// their losses, and whether any process was interrupted or saw outputs that are not finite.
enum Stat { kImages, kTotal, kRpnClass, kRpnBox, kRcnnClass, kRcnnBox, kInterrupted, kNotFinite, kStats };

}  // namespace

TrainResult train_detector(const TrainOptions& options) {
  distributed::World& world = distributed::world();
  const bool leader = world.rank() == 0;  // writes the run's files and the progress bar
  const DetectorConfig& config = options.config;
  world.set_collective_timeout(config.train.collective_timeout_s);
  const SolverConfig& solver = config.train;
  const std::string checkpoint = (fs::path(options.out_dir) / "checkpoint.safetensors").string();
  const std::string log_path = (fs::path(options.out_dir) / "log.jsonl").string();
  const std::string plot_path = (fs::path(options.out_dir) / "losses.png").string();
  if (leader) {  // the run folder is made only once the data and the model are known good (below)
    check(options.resume || !fs::exists(checkpoint), options.out_dir,
          " already holds a run (checkpoint.safetensors): continue it with --resume, or choose another --out");
    check(!options.resume || fs::exists(checkpoint), "--resume: ", options.out_dir, " holds no checkpoint to resume from");
    // A save cut short (a SIGKILL after mpirun's grace) leaves its .tmp; the checkpoint before it is whole.
    std::error_code ignored;
    if (fs::remove(checkpoint + ".tmp", ignored))
      std::cerr << "note: removed " << checkpoint << ".tmp, an unfinished save of an interrupted run\n";
  }

  Dataset data = read_dataset(options.data_dir, options.split, DataPurpose::Training);
  if (!solver.keep_empty_images)
    data.items.erase(std::remove_if(data.items.begin(), data.items.end(), [](const Annotation& a) { return a.objects.empty(); }),
                     data.items.end());
  check(!data.items.empty(), options.data_dir, ": split '", options.split, "' has no images to train on");
  check_same_run(world, config, data, options.split);

  Generator gen(static_cast<uint64_t>(solver.seed));
  FasterRcnn model(options.resume ? config_for_checkpoint(config) : config, static_cast<int64_t>(data.classes.size()), gen);
  model.to(options.device);
  model.train();
  const double bias_decay = solver.bias_weight_decay ? solver.weight_decay : 0;
  optim::SGD optimizer(optim::weight_and_bias_groups(model, solver.weight_decay, solver.bias_lr_factor, bias_decay),
                       {solver.lr, solver.momentum, 0});
  DetectorInfo info{config, data.classes, 0, 0};
  std::vector<IterationLog> logs;
  int64_t saved_step_images = 0;  // N x B of the run resumed
  if (options.resume && leader) {
    const DetectorInfo saved = read_detector_info(checkpoint);
    saved_step_images = saved.step_images > 0 ? saved.step_images : saved.iteration > 0 ? saved.position / saved.iteration : 0;
    // How long to train, how often to save, and how a step's images are spread (N x images_per_step:
    // a run moved from two machines to one keeps its steps with twice the images per process) may
    // change on resume.
    DetectorConfig same = config;
    same.train.iterations = saved.config.train.iterations;
    same.train.images_per_step = saved.config.train.images_per_step;
    same.train.batch_mode = saved.config.train.batch_mode;
    same.train.checkpoint_every = saved.config.train.checkpoint_every;
    same.train.log_every = saved.config.train.log_every;
    same.train.collective_timeout_s = saved.config.train.collective_timeout_s;
    std::string differences;
    for (const std::string& d : config_differences(saved.config, same)) differences += "\n  " + d;
    check(differences.empty(), checkpoint, " was trained with another config (saved vs now):", differences);
    check(saved.classes == data.classes, checkpoint, " was trained on other classes than ", options.data_dir, "'s");
    info.iteration = load_checkpoint(checkpoint, model, optimizer, gen);
    info.position = saved.position;
    logs = read_log(log_path, info.iteration);
  }
  share_state(world, model, optimizer, info);
  std::ofstream log;
  if (leader) {  // the log as far as the checkpoint, and a readable copy of the config
    fs::create_directories(options.out_dir);
    log.open(log_path, std::ios::trunc);
    for (const IterationLog& l : logs) log << to_json(l).dump() << "\n";
    std::ofstream(fs::path(options.out_dir) / "config.yaml") << to_yaml(config);
  }

  auto save = [&] {
    if (!leader) return;
    save_checkpoint(checkpoint, model, optimizer, info.iteration, gen, detector_metadata(info));
    plot_losses(logs, plot_path);
  };

  install_interrupt_handler();
  const int64_t images = static_cast<int64_t>(data.items.size());
  const int64_t per_process = solver.images_per_step, step_images = per_process * world.size();
  info.step_images = step_images;
  // Resumed with another N x B (mpirun -np 2 before, one process now): the steps, and so the schedule
  // per image and the gradients' noise, change. Allowed (a run may move on purpose), never silently.
  if (leader && saved_step_images > 0 && saved_step_images != step_images)
    std::cerr << "warning: the run had " << saved_step_images << " images a step and goes on with " << step_images << " ("
              << world.size() << (world.size() == 1 ? " process" : " processes") << " x train.images_per_step " << per_process
              << "); to keep its steps: --set train.images_per_step=" << saved_step_images << " with one process, or "
              << "images_per_step x processes = " << saved_step_images << " under mpirun\n";
  Loader loader(data, loader_options(config, true));
  loader.start_stream(info.position + world.rank(), world.size());

  // Gradients hold sums over the step's images; SGD averages them (its grad_scale) once the sum over
  // processes is in.
  // Without clipping, a parameter is updated as soon as that is done and its gradient dropped: fc6's
  // (245 MiB with MobileNetV2's 1280 channels) is gone before the RPN's is made.
  const bool clipping = solver.max_grad_norm > 0;  // clipping needs every gradient before the first update
  double mean_scale = 1;
  std::vector<Tensor> trained;
  for (const optim::ParamGroup& g : optimizer.groups())
    for (const auto& [name, p] : g.params) trained.push_back(p);
  distributed::GradientReducer reducer(world, trained, static_cast<size_t>(options.bucket_mb * (1 << 20)), [&](Tensor& p) {
    if (clipping) return;
    optimizer.step(p, mean_scale);
    p.zero_grad();
  });

  TrainResult result;
  const int64_t start = info.iteration, start_position = info.position;
  std::string label = start > 0 ? "train (resumed at " + std::to_string(start) + ")" : "train";
  if (step_images > 1)
    label += concat_message(", ", step_images, " images a step (", world.size(), world.size() == 1 ? " process" : " processes",
                            " x ", per_process, ")");
  ProgressBar bar(label, leader && options.progress ? solver.iterations - start : 0, "step", solver.log_every);
  Window window;
  Sample sample;
  while (info.iteration < solver.iterations) {
    inject_fault(world, info.iteration + 1);
    const double lr = learning_rate(solver, info.iteration);
    optimizer.set_lr(lr);
    optimizer.zero_grad();
    // This process's images of the step. Accumulated, all but the last go backward at once (their
    // gradients add up in the parameters); the last, or the padded batch, waits until the step's sums
    // over processes are known.
    std::vector<double> stats(kStats, 0.0);
    std::vector<Sample> batch;
    for (int64_t k = 0; k < per_process; ++k) {
      const auto wait_start = std::chrono::steady_clock::now();
      loader.next(sample);
      result.waiting_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - wait_start).count();
      if (sample.error.empty()) {
        batch.push_back(std::move(sample));
        continue;
      }
      ++result.unreadable;
      std::cerr << "\nwarning: skipped image " << sample.id << " (" << result.unreadable << " so far): " << sample.error << "\n";
      check(result.unreadable < images, "no image of ", options.data_dir, " '", options.split, "' could be read");
    }
    // Each image's draws come from its own position in the data order, whoever computes it.
    auto seed_image = [&](size_t i) {
      gen.seed(item_seed(static_cast<uint64_t>(solver.seed), static_cast<uint64_t>(batch[i].position)));
    };
    Tensor deferred;      // the sum of the losses still to go backward
    std::string failure;  // this process's first non-finite output, for the message
    auto add = [&](const DetectorLosses& l, double images_in, const std::string& id) {
      // The five values in one copy: on a GPU, the step's one wait for the loss.
      const std::vector<double> values =
          stack({l.total, l.rpn_class, l.rpn_box, l.rcnn_class, l.rcnn_box}, 0).detach().to(kFloat64).cpu().to_vector<double>();
      for (int v = 0; v < 5; ++v) stats[kTotal + v] += values[v] * images_in;
      stats[kImages] += images_in;
      if (!std::isfinite(values[0]) && failure.empty()) failure = id + ": the loss is not finite";
    };
    try {  // FasterRcnn throws NotFinite where the network's outputs are
      if (solver.batch_mode == "padded" && !batch.empty()) {
        const DetectorLosses l = model.losses(batch, gen, seed_image);
        const double n = static_cast<double>(batch.size());
        add(l, n, "images " + batch.front().id + ".." + batch.back().id);
        deferred = n == 1 ? l.total : l.total * n;
      }
      for (size_t i = 0; solver.batch_mode == "accumulate" && i < batch.size(); ++i) {
        seed_image(i);
        const DetectorLosses l = model.losses(batch[i], gen);
        add(l, 1, "image " + batch[i].id);
        if (i + 1 < batch.size()) {
          l.total.backward();
        } else {
          deferred = l.total;
        }
      }
    } catch (const NotFinite& e) {
      stats[kNotFinite] = 1;
      failure = e.what();
      deferred = Tensor();
    }
    stats[kInterrupted] = interrupted();
    {
      const Tensor sums = from_vector(stats, {kStats});
      world.all_reduce_sum({sums});
      stats = sums.to_vector<double>();
    }
    if (stats[kInterrupted] > 0) {  // the step is dropped: the checkpoint holds the one before
      result.interrupted = true;
      break;
    }
    const double used = stats[kImages];
    const IterationLog now{info.iteration + 1, stats[kTotal] / used,     stats[kRpnClass] / used, stats[kRpnBox] / used,
                           stats[kRcnnClass] / used, stats[kRcnnBox] / used, lr, info.position + step_images};
    if (stats[kNotFinite] > 0 || (used > 0 && !std::isfinite(now.total))) {
      if (!leader) throw distributed::AgreedError("training diverged (rank 0 says how)");
      log << to_json(now).dump() << "\n";
      throw distributed::AgreedError(concat_message(
          "step ", now.iteration, " (images ", info.position + 1, "-", now.images, "): ",
          stats[kNotFinite] > 0 ? "the network's outputs are not finite" : "the loss is not finite",
          failure.empty() ? "" : " (" + failure + ")",
          std::isfinite(now.total) ? "" : concat_message(" (rpn class ", now.rpn_class, ", rpn box ", now.rpn_box, ", rcnn class ",
                                                         now.rcnn_class, ", rcnn box ", now.rcnn_box, ")"),
          "; training stopped. ",
          fs::exists(checkpoint) ? "The last good checkpoint is " + checkpoint + " (iteration " +
                                       std::to_string(read_detector_info(checkpoint).iteration) + ")"
                                 : std::string("No checkpoint was saved yet"),
          ". A lower learning rate (--set train.lr=...) or gradient clipping (--set train.max_grad_norm=10) may help."));
    }
    info.position = now.images;
    if (used == 0) continue;  // every image of the step was unreadable: nothing to learn from
    mean_scale = 1 / used;
    if (deferred.defined()) {
      if (clipping) {
        deferred.backward();
      } else {
        deferred.backward([&](Tensor& param) { reducer.ready(param); });
      }
      deferred = Tensor();
    }
    reducer.finish_step();
    if (clipping) {  // the norm of the mean gradient, clipped: one factor for the update
      const double norm = optim::grad_norm(trained) * mean_scale;
      optimizer.step(norm > solver.max_grad_norm ? mean_scale * (solver.max_grad_norm / norm) : mean_scale);
    }
    info.iteration = now.iteration;
    window.add(now);
    if (leader && (info.iteration % solver.log_every == 0 || info.iteration == solver.iterations)) {
      logs.push_back(window.mean(info.iteration, lr));
      logs.back().images = info.position;
      log << to_json(logs.back()).dump() << std::endl;
      window = {};
    }
    if (options.on_iteration) options.on_iteration(model, now);
    if (info.iteration % solver.checkpoint_every == 0) save();
    if (leader && options.progress) bar.update(info.iteration - start, progress_text(logs.empty() ? now : logs.back()));
  }
  save();
  if (leader && options.progress) {
    const std::string last_text = logs.empty() ? std::string() : progress_text(logs.back());
    bar.stop(info.iteration - start, result.interrupted ? "interrupted; " + last_text : last_text);
  }
  result.iterations = info.iteration;
  result.images = info.position;
  result.step_images = step_images;
  result.session_images = info.position - start_position;
  result.seconds = bar.elapsed_seconds();
  result.allreduce_seconds = reducer.seconds();
  result.sync_seconds = reducer.waiting_seconds();
  result.checkpoint = checkpoint;
  return result;
}

}  // namespace rcnn
