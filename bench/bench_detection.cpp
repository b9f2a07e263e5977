// make bench: the detection blocks beside torchvision's (bench/peer_detection.py, same run, same
// threads): nms on 1 000 and 12 000 random boxes at IoU 0.7 (the RPN's numbers), and roi_align forward
// and forward + backward on 300 RoIs, and the proposal step of a 38 x 63 map, on the CPU or a GPU.
// Prints a table and writes bench/results_detection.json (op, shape, ours_ms, peer_ms, ratio).
//   bench_detection [--device cpu|cuda] [--threads 2] [--reps 10] [--peer FILE] [--out FILE]
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/rng.h"
#include "core/threads.h"
#include "core/timing.h"
#include "cuda/runtime.h"
#include "detection/nms.h"
#include "detection/proposals.h"
#include "detection/roi_pool.h"
#include "ops/ops.h"

using namespace rcnn;
using nlohmann::json;

int main(int argc, char** argv) try {
  CLI::App app{"rcnn.cpp detection blocks beside torchvision"};
  int threads = 2, reps = 10;
  std::string device_name = "cpu", peer_path, out_path = "bench/results_detection.json";
  app.add_option("--device", device_name, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--threads", threads, "CPU threads (the peer must use the same)");
  app.add_option("--reps", reps, "timed repetitions (the median is reported)");
  app.add_option("--peer", peer_path, "JSON written by bench/peer_detection.py");
  app.add_option("--out", out_path, "where to write the results");
  CLI11_PARSE(app, argc, argv);
  set_cpu_threads(threads);
  const bool on_gpu = device_name == "cuda";
  check(!on_gpu || cuda::available(), "bench_detection --device cuda: no CUDA device");
  const Device device = on_gpu ? Device::cuda() : Device::cpu();
  json peer = json::object();
  if (!peer_path.empty()) {
    std::ifstream in(peer_path);
    if (in.good()) peer = json::parse(in);
  }

  std::printf("%s, threads %d, median of %d\n%-18s %-24s %10s %10s %7s\n", on_gpu ? cuda::device_name(0).c_str() : "cpu",
              threads, reps, "op", "shape", "ours ms", "peer ms", "ratio");
  json rows = json::array();
  auto add = [&](const std::string& op, const std::string& shape, double ours) {
    double theirs = -1;
    for (const json& r : peer.value("rows", json::array()))
      if (r["op"] == op && r["shape"] == shape) theirs = r["median_s"].get<double>() * 1e3;
    rows.push_back({{"op", op}, {"shape", shape}, {"ours_ms", ours}, {"peer_ms", theirs > 0 ? json(theirs) : json()},
                    {"ratio", theirs > 0 ? json(ours / theirs) : json()}});
    std::printf("%-18s %-24s %10.3f %10s %7s\n", op.c_str(), shape.c_str(), ours,
                theirs > 0 ? std::to_string(theirs).substr(0, 7).c_str() : "-",
                theirs > 0 ? std::to_string(ours / theirs).substr(0, 5).c_str() : "-");
  };
  auto timed = [&](auto&& f) { return median_ms([&] { f(); if (on_gpu) cuda::synchronize(); }, reps, 3); };
  Generator gen(0);
  for (int64_t n : {1000, 12000}) {
    Tensor xy = rand({n, 2}, gen) * 600.0, wh = rand({n, 2}, gen) * 120.0 + 1.0;
    Tensor boxes = concat({xy, xy + wh}, 1).to(device), scores = rand({n}, gen).to(device);
    add("nms", std::to_string(n) + " boxes @0.7", timed([&] { nms(boxes, scores, 0.7); }));
  }
  // roi_align: 300 RoIs on a (1, 256, 16, 16) map (a 256 x 256 image at stride 16), 7 x 7, sampling 2.
  Tensor features = randn({1, 256, 16, 16}, gen).to(device);
  Tensor xy = rand({300, 2}, gen) * 200.0;
  Tensor rois = concat({xy, xy + rand({300, 2}, gen) * 120.0 + 8.0}, 1).to(device);
  Tensor images = zeros({300}, {kInt64, device}), grad = randn({300, 256, 7, 7}, gen).to(device);
  const RoiAlignOptions options{7, 1.0 / 16, 2, false};
  add("roi_align fwd", "300 RoIs 256x16x16 7x7", timed([&] { NoGradGuard g; roi_align(features, rois, images, options); }));
  Tensor features_g = features.detach().requires_grad_();
  add("roi_align fwd+bwd", "300 RoIs 256x16x16 7x7", timed([&] {
        features_g.zero_grad();
        roi_align(features_g, rois, images, options).backward(grad);
      }));
  // The proposal step of a 38 x 63 map with 9 anchors: decode, clip, remove small, top 12 000, NMS 0.7,
  // top 2 000 (the peer draws anchors the same way: random boxes of 60-360 pixels over a 608 x 1008 image).
  const int64_t n = 38 * 63 * 9;
  Tensor corner = rand({n, 2}, gen) * from_vector<float>({1008, 608}, {1, 2});
  Tensor anchors = concat({corner, corner + rand({n, 2}, gen) * 300.0 + 60.0}, 1).to(device);
  Tensor objectness = randn({n}, gen).to(device), deltas = (randn({n, 4}, gen) * 0.2).to(device);
  add("proposals", "38x63 map, 9 anchors", timed([&] { propose(anchors, objectness, deltas, 608, 1008); }));
  std::ofstream(out_path) << json{{"device", on_gpu ? cuda::device_name(0) : "cpu"}, {"threads", threads},
                                  {"reps", reps}, {"rows", rows}}.dump(1)
                          << "\n";
  std::printf("wrote %s\n", out_path.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
