// make bench: the whole detector beside torchvision's (../shared/peers/tv_tiny_frcnn.py, same run, same
// threads, the peer's settings in configs/tv_tiny_peer.yaml): the median training step (forward,
// backward, SGD) and its parts, the median inference per image and its stages, and the peak RSS of a
// training process and of an inference process (each phase runs in its own child process, as the
// peer's do). Data as the peer makes it: uniform random 256 x 256 images with 1-4 random boxes.
// Prints a table and writes bench/results_detector.json.
//   bench_detector [--config configs/tv_tiny_peer.yaml] [--threads 2] [--peer FILE] [--out FILE]
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "autograd/grad_mode.h"
#include "core/threads.h"
#include "detection/anchors.h"
#include "detection/faster_rcnn.h"
#include "detection/postprocess.h"
#include "detection/proposals.h"
#include "detection/roi_pool.h"
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

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::vector<Sample> make_data(const DetectorConfig& c, int64_t n, uint64_t seed) {
  Generator gen(seed);
  const int64_t H = c.input.shorter_side, W = c.input.longer_side;
  std::vector<Sample> data;
  for (int64_t i = 0; i < n; ++i) {
    Sample s;
    s.id = std::to_string(i);
    s.image = rand({3, H, W}, gen);
    const int64_t k = 1 + static_cast<int64_t>(gen.uniform() * 4);
    for (int64_t j = 0; j < k; ++j) {
      const double w = 16 + std::floor(gen.uniform() * 113), h = 16 + std::floor(gen.uniform() * 113);
      const double x = gen.uniform() * (W - w), y = gen.uniform() * (H - h);
      s.boxes.push_back({x, y, x + w, y + h});
      s.labels.push_back(static_cast<int64_t>(gen.uniform() * 3));
      s.difficult.push_back(false);
    }
    data.push_back(std::move(s));
  }
  return data;
}

json phase_train(const DetectorConfig& c, int warmup, int steps) {
  Generator gen(0);
  FasterRcnn model(c, 3, gen);
  model.train();
  const SolverConfig& o = c.train;
  optim::SGD sgd(optim::weight_and_bias_groups(model, o.weight_decay, o.bias_lr_factor, o.bias_weight_decay ? o.weight_decay : 0),
                 {o.lr, o.momentum, 0});
  const double rss_model = peak_rss_mib();
  std::vector<double> total, forward, backward, step;
  int iteration = 0;
  for (const Sample& s : make_data(c, warmup + steps, 1)) {
    const double t0 = now_s();
    sgd.zero_grad();
    const DetectorLosses l = model.losses(s, gen);
    const double t1 = now_s();
    l.total.backward();
    const double t2 = now_s();
    sgd.step();
    const double t3 = now_s();
    if (iteration++ < warmup) continue;
    total.push_back(t3 - t0), forward.push_back(t1 - t0), backward.push_back(t2 - t1), step.push_back(t3 - t2);
  }
  return {{"step_s", median(total)}, {"forward_s", median(forward)}, {"backward_s", median(backward)},
          {"opt_step_s", median(step)}, {"peak_rss_after_model_mib", rss_model}, {"peak_rss_mib", peak_rss_mib()}};
}

json phase_infer(const DetectorConfig& c, int warmup, int images) {
  Generator gen(0);
  FasterRcnn model(c, 3, gen);
  model.eval();
  const double rss_model = peak_rss_mib();
  const std::vector<Sample> data = make_data(c, warmup + images, 2);
  std::vector<double> total;
  for (size_t i = 0; i < data.size(); ++i) {
    const double t0 = now_s();
    model.detect(data[i]);
    if (static_cast<int>(i) >= warmup) total.push_back(now_s() - t0);
  }
  // The stages, by hand, as FasterRcnn::detect runs them (the peer breaks its model down the same way).
  std::map<std::string, std::vector<double>> stages;
  NoGradGuard no_grad;
  for (size_t i = 0; i < data.size(); ++i) {
    std::vector<double> t = {now_s()};
    const Tensor x = unsqueeze(data[i].image, 0);
    const Tensor f = model.backbone->forward(x);
    t.push_back(now_s());
    const RpnHead::Outputs r = model.rpn->head->predict(f);
    t.push_back(now_s());
    const Tensor anchors = grid_anchors(c.anchors, f.size(2), f.size(3));
    const Tensor objectness = reshape(narrow(r.objectness, 1, 1, 1) - narrow(r.objectness, 1, 0, 1), {-1});
    const Proposals p = propose(anchors, objectness, r.deltas, x.size(2), x.size(3), c.rpn.test, c.rpn.targets.coding);
    t.push_back(now_s());
    RoiAlignOptions ro = c.roi.align;
    ro.spatial_scale = 1.0 / 16;
    const Tensor pooled = roi_align(f, p.boxes, zeros({p.boxes.size(0)}, kInt64), ro);
    t.push_back(now_s());
    const Tensor h = model.roi_heads->box_head->forward(pooled);
    t.push_back(now_s());
    const RcnnHead::Outputs out{model.roi_heads->box_predictor->cls_score->forward(h),
                                model.roi_heads->box_predictor->bbox_pred->forward(h)};
    t.push_back(now_s());
    postprocess(out, p.boxes, x.size(2), x.size(3), 1.0, data[i].id, c.test);
    t.push_back(now_s());
    if (static_cast<int>(i) < warmup) continue;
    const char* names[] = {"backbone", "rpn_head", "proposals", "roi_align", "box_head", "box_predictor", "postprocess"};
    for (size_t k = 0; k + 1 < t.size(); ++k) stages[names[k]].push_back(t[k + 1] - t[k]);
    stages["sum_of_stages"].push_back(t.back() - t.front());
  }
  json st = json::object();
  for (const auto& [name, v] : stages) st[name] = median(v);
  return {{"infer_s", median(total)}, {"stage_s", st}, {"peak_rss_after_model_mib", rss_model},
          {"peak_rss_mib", peak_rss_mib()}};
}

// The peer's stage names for ours.
const std::map<std::string, std::string> kPeerStage = {
    {"backbone", "backbone"},
    {"rpn_head", "rpn_head(conv3x3+1x1s)"},
    {"proposals", ""},  // the peer splits it in two: anchors + decode, filter
    {"roi_align", "roi_align"},
    {"box_head", "box_head(fc6+fc7)"},
    {"box_predictor", "box_predictor(cls+reg fc)"},
    {"postprocess", "roi_postprocess(decode+per-class nms)"},
    {"sum_of_stages", "sum_of_stages"}};

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"rcnn.cpp's Faster R-CNN beside torchvision's"};
  int threads = 2, warmup = 5, steps = 30;
  std::string config_path = "configs/tv_tiny_peer.yaml", phase, peer_path, out_path = "bench/results_detector.json";
  app.add_option("--config", config_path, "the detector's settings (the peer's: configs/tv_tiny_peer.yaml)");
  app.add_option("--threads", threads, "CPU threads (the peer must use the same)");
  app.add_option("--warmup", warmup, "untimed iterations first");
  app.add_option("--steps", steps, "timed training steps and inference images");
  app.add_option("--phase", phase, "run one phase and print its JSON (used by the parent process)")
      ->check(CLI::IsMember({"train", "infer"}));
  app.add_option("--peer", peer_path, "JSON written by tv_tiny_frcnn.py --json-out");
  app.add_option("--out", out_path, "where to write the results");
  CLI11_PARSE(app, argc, argv);
  set_cpu_threads(threads);
  const DetectorConfig config = load_config(config_path);
  if (!phase.empty()) {
    const json r = phase == "train" ? phase_train(config, warmup, steps) : phase_infer(config, warmup, steps);
    std::printf("JSON:%s\n", r.dump().c_str());
    return 0;
  }
  json ours = json::object();
  for (const std::string p : {"train", "infer"}) {
    const std::string command = concat_message("/proc/", getpid(), "/exe --phase ", p, " --config ", config_path,
                                               " --threads ", threads, " --warmup ", warmup, " --steps ", steps);
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
  std::printf("Faster R-CNN, %s, %d threads, median of %d (after %d warm-up)\n%-34s %10s %10s %7s\n", config_path.c_str(),
              threads, steps, warmup, "", "ours", "peer", "ratio");
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
  const json& tr = ours["train"];
  add("train step (fwd+bwd+SGD)", tr["step_s"], peer_median(pt, "step_s"), "ms", 1e3);
  add("  forward (incl. losses)", tr["forward_s"], peer_median(pt, "forward_s"), "ms", 1e3);
  add("  backward", tr["backward_s"], peer_median(pt, "backward_s"), "ms", 1e3);
  add("  optimizer step", tr["opt_step_s"], peer_median(pt, "opt_step_s"), "ms", 1e3);
  add("peak RSS, training process", tr["peak_rss_mib"], pt.value("peak_rss_mib", json()), "MiB", 1);
  const json& in = ours["infer"];
  add("inference per image", in["infer_s"], peer_median(pi, "infer_s"), "ms", 1e3);
  const json peer_stages = pi.value("stage_s", json::object());
  for (const auto& [ours_name, peer_name] : kPeerStage) {
    json theirs;
    if (ours_name == "proposals" && peer_stages.contains("rpn_filter(topk+nms)"))
      theirs = peer_stages["rpn_anchors+decode"]["median"].get<double>() + peer_stages["rpn_filter(topk+nms)"]["median"].get<double>();
    else if (peer_stages.contains(peer_name))
      theirs = peer_stages[peer_name]["median"];
    add("  " + ours_name, in["stage_s"][ours_name], theirs, "ms", 1e3);
  }
  add("peak RSS, inference process", in["peak_rss_mib"], pi.value("peak_rss_mib", json()), "MiB", 1);
  std::ofstream(out_path) << json{{"config", config_path}, {"threads", threads}, {"rows", rows}, {"ours", ours}}.dump(1) << "\n";
  std::printf("wrote %s\n", out_path.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_detector: error: %s\n", e.what());
  return 1;
}
