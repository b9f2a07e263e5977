// make bench: the whole detector beside torchvision's (bench/peer_detector.py, same run, same
// threads, the peer's settings in configs/tv_tiny_peer.yaml): the median training step (forward,
// backward, SGD) and its parts, the median inference per image and its stages, and the peak RSS of a
// training process and of an inference process (each phase runs in its own child process, as the
// peer's do). Data as the peer makes it: uniform random 256 x 256 images with 1-4 random boxes.
// Prints a table and writes bench/results_detector.json. On a GPU (--device cuda): a step and an
// inference are timed end to end first, the device synchronised once at their end (as the peer does),
// and counted: how often the host waited for the device inside one (cuda::host_waits), and the peak of
// device memory (the caching allocator's, beside torch.cuda.max_memory_allocated); then the stages
// are timed again, synchronised one by one, so that their times add up.
//   bench_detector [--config configs/tv_tiny_peer.yaml] [--set key=value ...] [--device cpu|cuda] [--batch 1]
//                  [--phases train,infer] [--threads 2] [--peer FILE] [--out FILE]
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <nlohmann/json.hpp>

#include "core/kernels.h"
#include "core/threads.h"
#include "core/timing.h"
#include "cuda/runtime.h"
#include "detection/faster_rcnn.h"
#include "layers/sgd.h"
#include "ops/ops.h"

using namespace rcnn;
using nlohmann::json;

namespace {

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // KiB on Linux
}

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Box sides from 1/16 to 1/2 of the image's height: the peer's 16-128 on TinyNet's 256 x 256 (its VGG16
// setting draws 32-400 on 600 x 1000).
std::vector<Sample> make_data(const DetectorConfig& c, int64_t n, int64_t classes, uint64_t seed) {
  Generator gen(seed);
  const int64_t H = c.input.shorter_side, W = c.input.longer_side;
  const double lo = static_cast<double>(H / 16), span = static_cast<double>(H / 2 - H / 16 + 1);
  std::vector<Sample> data;
  for (int64_t i = 0; i < n; ++i) {
    Sample s;
    s.id = std::to_string(i);
    s.image = rand({3, H, W}, gen);
    const int64_t k = 1 + static_cast<int64_t>(gen.uniform() * 4);
    for (int64_t j = 0; j < k; ++j) {
      const double w = lo + std::floor(gen.uniform() * span), h = lo + std::floor(gen.uniform() * span);
      const double x = gen.uniform() * (W - w), y = gen.uniform() * (H - h);
      s.boxes.push_back({x, y, x + w, y + h});
      s.labels.push_back(static_cast<int64_t>(gen.uniform() * static_cast<double>(classes)));
      s.difficult.push_back(false);
    }
    data.push_back(std::move(s));
  }
  return data;
}

// Times each stage of FasterRcnn (its after_stage hook), synchronising a GPU so a stage's kernels count
// as its own; `stages` gets one list of seconds per stage name, `calls` one of kernel calls.
struct StageClock {
  explicit StageClock(bool gpu) : gpu(gpu) {}
  bool gpu;
  double last = 0;
  int64_t last_calls = 0;
  std::map<std::string, std::vector<double>>* stages = nullptr;
  std::map<std::string, std::vector<double>> calls;
  void start() {
    if (gpu) cuda::synchronize();
    last = now_s();
    last_calls = kernel_calls();
  }
  void mark(const std::string& name) {
    if (gpu) cuda::synchronize();
    const double t = now_s();
    if (stages) {
      (*stages)[name].push_back(t - last);
      calls[name].push_back(static_cast<double>(kernel_calls() - last_calls));
    }
    last = t;
    last_calls = kernel_calls();
  }
};

json medians(const std::map<std::string, std::vector<double>>& stages) {
  json out = json::object();
  for (const auto& [name, v] : stages) out[name] = median(v);
  return out;
}

// Runs run(i) for i in [0, n), each timed end to end with the device synchronised once at its end (as
// the peer does), the first `warmup` untimed. Beyond the seconds, what a step or image costs: the
// kernels it ran (on a GPU, launches), how often the host waited for the device (0 on the CPU), and the
// device's peak memory from the first timed one on.
struct EndToEnd {
  std::vector<double> seconds;
  json counts;
};
EndToEnd end_to_end(int n, int warmup, bool gpu, const std::function<void(int)>& run) {
  EndToEnd r;
  std::vector<double> waits, calls;
  for (int i = 0; i < n; ++i) {
    if (i == warmup) cuda::reset_peak_memory();
    const double t0 = now_s();
    const int64_t waits_before = cuda::host_waits(), calls_before = kernel_calls();
    run(i);
    const int64_t waited = cuda::host_waits() - waits_before, called = kernel_calls() - calls_before;  // before the synchronize
    if (gpu) cuda::synchronize();
    if (i < warmup) continue;
    r.seconds.push_back(now_s() - t0);
    waits.push_back(static_cast<double>(waited));
    calls.push_back(static_cast<double>(called));
  }
  r.counts = {{"host_waits", median(waits)}, {"kernel_calls", median(calls)},
              {"peak_device_mib", static_cast<double>(cuda::peak_bytes_in_use()) / (1 << 20)}};
  return r;
}

json phase_train(const DetectorConfig& c, int64_t classes, int warmup, int steps, int64_t batch, Device device) {
  Generator gen(0);
  FasterRcnn model(c, classes, gen);
  model.to(device);
  model.train();
  const SolverConfig& o = c.train;
  optim::SGD sgd(optim::weight_and_bias_groups(model, o.weight_decay, o.bias_lr_factor, o.bias_weight_decay ? o.weight_decay : 0),
                 {o.lr, o.momentum, 0});
  const double rss_model = peak_rss_mib();
  const std::vector<Sample> data = make_data(c, (warmup + steps) * batch, classes, 1);
  // One step over the i-th batch; mark(stage), when given, as each part ends.
  auto step = [&](int i, const std::function<void(const char*)>& mark) {
    sgd.zero_grad();
    const DetectorLosses l = model.losses(std::vector<Sample>(data.begin() + i * batch, data.begin() + (i + 1) * batch), gen);
    if (mark) mark("forward: losses");
    l.total.backward();
    if (mark) mark("backward");
    sgd.step();
    if (mark) mark("optimizer step");
  };
  const EndToEnd timed = end_to_end(warmup + steps, warmup, device.is_cuda(), [&](int i) { step(i, {}); });
  const std::vector<double>& step_s = timed.seconds;
  // Stage by stage, over the same images again.
  std::map<std::string, std::vector<double>> stages;
  StageClock clock{device.is_cuda()};
  const auto mark = [&](const char* name) { clock.mark(name); };
  model.after_stage = [&](const char* name) { clock.mark(std::string("forward: ") + name); };
  for (int i = 0; i < warmup + steps; ++i) {
    clock.stages = i < warmup ? nullptr : &stages;
    clock.start();
    step(i, mark);
  }
  double forward = 0;
  for (const auto& [name, v] : stages)
    if (name.rfind("forward", 0) == 0) forward += median(v);
  const double mean = step_s.empty() ? 0 : std::accumulate(step_s.begin(), step_s.end(), 0.0) / static_cast<double>(step_s.size());
  json out = {{"batch", batch}, {"step_s", median(step_s)}, {"step_mean_s", mean},
              {"step_max_s", step_s.empty() ? 0 : *std::max_element(step_s.begin(), step_s.end())},
              {"forward_s", forward}, {"backward_s", median(stages["backward"])},
              {"opt_step_s", median(stages["optimizer step"])}, {"stage_s", medians(stages)},
              {"stage_kernel_calls", medians(clock.calls)},
              {"peak_rss_after_model_mib", rss_model}, {"peak_rss_mib", peak_rss_mib()}};
  out.update(timed.counts);
  return out;
}

json phase_infer(const DetectorConfig& c, int64_t classes, int warmup, int images, Device device) {
  Generator gen(0);
  FasterRcnn model(c, classes, gen);
  model.to(device);
  model.eval();
  const double rss_model = peak_rss_mib();
  const std::vector<Sample> data = make_data(c, warmup + images, classes, 2);
  const EndToEnd timed =
      end_to_end(static_cast<int>(data.size()), warmup, device.is_cuda(), [&](int i) { model.detect(data[i]); });
  std::map<std::string, std::vector<double>> stages;  // then stage by stage, as the peer breaks its model down
  StageClock clock{device.is_cuda()};
  model.after_stage = [&](const char* name) { clock.mark(name); };
  for (size_t i = 0; i < data.size(); ++i) {
    clock.stages = static_cast<int>(i) < warmup ? nullptr : &stages;
    clock.start();
    model.detect(data[i]);
  }
  json out = {{"infer_s", median(timed.seconds)}, {"stage_s", medians(stages)}, {"stage_kernel_calls", medians(clock.calls)},
              {"peak_rss_after_model_mib", rss_model},
              {"peak_rss_mib", peak_rss_mib()}};
  out.update(timed.counts);
  return out;
}

// The stages, named alike on both sides (bench/peer_detector.py times torchvision's model stage by stage).
const char* const kStages[] = {"backbone", "rpn_head", "proposals", "roi_pool", "rcnn_head", "postprocess"};

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"rcnn.cpp's Faster R-CNN beside torchvision's"};
  int threads = 2, warmup = 5, steps = 30;
  int64_t classes = 3, batch = 1;
  std::string config_path = "configs/tv_tiny_peer.yaml", phase, peer_path, out_path = "bench/results_detector.json";
  std::string device_name = "cpu";
  std::vector<std::string> overrides, phases = {"train", "infer"};
  app.add_option("--device", device_name, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--config", config_path, "the detector's settings (the peer's: configs/tv_tiny_peer.yaml)");
  app.add_option("--set", overrides, "override a config value, as rcnn train takes it (repeatable)");
  app.add_option("--phases", phases, "which to time: train, infer or both")->delimiter(',')->check(CLI::IsMember({"train", "infer"}));
  app.add_option("--threads", threads, "CPU threads (the peer must use the same)");
  app.add_option("--batch", batch, "images per training step (one backbone call; the peer batches alike)")->check(CLI::Range(1, 64));
  app.add_option("--classes", classes, "object classes (the peer: 3 for TinyNet, 20 for VGG16)");
  app.add_option("--warmup", warmup, "untimed iterations first");
  app.add_option("--steps", steps, "timed training steps and inference images");
  app.add_option("--phase", phase, "run one phase and print its JSON (used by the parent process)")
      ->check(CLI::IsMember({"train", "infer"}));
  app.add_option("--peer", peer_path, "JSON written by bench/peer_detector.py --json-out");
  app.add_option("--out", out_path, "where to write the results");
  CLI11_PARSE(app, argc, argv);
  set_cpu_threads(threads);
  const DetectorConfig config = load_config(config_path, overrides);
  const Device device = device_name == "cuda" ? Device::cuda() : kCPU;
  check(!device.is_cuda() || cuda::available(), "bench_detector --device cuda: no CUDA device");
  if (!phase.empty()) {
    const json r = phase == "train" ? phase_train(config, classes, warmup, steps, batch, device)
                                    : phase_infer(config, classes, warmup, steps, device);
    std::printf("JSON:%s\n", r.dump().c_str());
    return 0;
  }
  json ours = json::object();
  std::string sets;
  for (const std::string& o : overrides) sets += " --set '" + o + "'";
  for (const std::string& p : phases) {
    const std::string command = concat_message("/proc/", getpid(), "/exe --phase ", p, " --config ", config_path, sets, " --device ",
                                               device_name, " --threads ", threads, " --classes ", classes, " --warmup ", warmup,
                                               " --steps ", steps, " --batch ", batch);
    FILE* child = popen(command.c_str(), "r");
    check(child != nullptr, "bench_detector: cannot run ", command);
    std::string out;
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, child)) out += buffer;
    check(pclose(child) == 0, "bench_detector: ", command, " failed");
    ours[p] = json::parse(out.substr(out.rfind("JSON:") + 5));
  }
  json peer = json::object();
  if (!peer_path.empty()) {
    std::ifstream in(peer_path);
    if (in.good()) peer = json::parse(in);
  }
  const json& pt = peer.value("train", json::object());
  const json& pi = peer.value("infer", json::object());
  json rows = json::array();
  const std::string device_label = device.is_cuda() ? cuda::device_name(0) : "cpu";
  std::printf("Faster R-CNN, %s, %s, %d threads, batch %lld, median of %d (after %d warm-up)\n%-34s %10s %10s %7s\n",
              config_path.c_str(), device_label.c_str(), threads, static_cast<long long>(batch), steps, warmup, "", "ours",
              "peer", "ratio");
  auto add = [&](const std::string& name, double ours_value, const json& peer_value, const char* unit, double scale) {
    const double theirs = peer_value.is_number() ? peer_value.get<double>() : -1;
    rows.push_back({{"op", name}, {"ours", ours_value * scale}, {"peer", theirs > 0 ? json(theirs * scale) : json()},
                    {"unit", unit}, {"ratio", theirs > 0 ? json(ours_value / theirs) : json()}});
    if (theirs > 0)
      std::printf("%-34s %7.2f %-2s %7.2f %-2s %7.3f\n", name.c_str(), ours_value * scale, unit, theirs * scale, unit,
                  ours_value / theirs);
    else
      std::printf("%-34s %7.2f %-2s %10s %7s\n", name.c_str(), ours_value * scale, unit, "-", "-");
  };
  auto peer_median = [](const json& j, const std::string& key) {
    return j.contains(key) ? j[key]["median"] : json();
  };
  if (ours.contains("train")) {
    const json& tr = ours["train"];
    add("train step (fwd+bwd+SGD)", tr["step_s"], peer_median(pt, "step_s"), "ms", 1e3);
    add("  (mean)", tr["step_mean_s"], pt.contains("step_s") ? pt["step_s"]["mean"] : json(), "ms", 1e3);
    add("  (slowest)", tr["step_max_s"], pt.contains("step_s") ? pt["step_s"]["max"] : json(), "ms", 1e3);
    add("  forward (incl. losses)", tr["forward_s"], peer_median(pt, "forward_s"), "ms", 1e3);
    add("  backward", tr["backward_s"], peer_median(pt, "backward_s"), "ms", 1e3);
    add("  optimizer step", tr["opt_step_s"], peer_median(pt, "opt_step_s"), "ms", 1e3);
    for (const char* name : {"backbone", "rpn_head", "proposals", "rpn_targets", "rcnn_targets", "roi_pool", "rcnn_head", "losses"})
      if (tr["stage_s"].contains(std::string("forward: ") + name))
        add(std::string("    ") + name, tr["stage_s"][std::string("forward: ") + name], json(), "ms", 1e3);
    add("peak RSS, training process", tr["peak_rss_mib"], pt.value("peak_rss_mib", json()), "MiB", 1);
    add("kernel calls per step", tr["kernel_calls"], json(), "", 1);
    if (device.is_cuda()) {
      add("peak GPU memory, training", tr["peak_device_mib"], pt.value("peak_device_mib", json()), "MiB", 1);
      add("host waits per step", tr["host_waits"], pt.value("host_waits", json()), "", 1);
    }
  }
  if (ours.contains("infer")) {
    const json& in = ours["infer"];
    add("inference per image", in["infer_s"], peer_median(pi, "infer_s"), "ms", 1e3);
    const json peer_stages = pi.value("stage_s", json::object());
    for (const std::string name : kStages)
      add("  " + name, in["stage_s"].value(name, 0.0), peer_median(peer_stages, name), "ms", 1e3);
    add("peak RSS, inference process", in["peak_rss_mib"], pi.value("peak_rss_mib", json()), "MiB", 1);
    add("kernel calls per image", in["kernel_calls"], json(), "", 1);
    if (device.is_cuda()) {
      add("peak GPU memory, inference", in["peak_device_mib"], pi.value("peak_device_mib", json()), "MiB", 1);
      add("host waits per image", in["host_waits"], pi.value("host_waits", json()), "", 1);
    }
  }
  std::ofstream(out_path) << json{{"config", config_path}, {"device", device_label}, {"threads", threads}, {"batch", batch},
                                  {"rows", rows}, {"ours", ours}, {"peer", peer}}.dump(1)
                          << "\n";
  std::printf("wrote %s\n", out_path.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_detector: error: %s\n", e.what());
  return 1;
}
