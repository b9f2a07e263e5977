// make bench: conv2d forward and forward+backward on VGG16's layer shapes at a 600x1000 input and on
// the small backbone's at 256x256, with both CPU paths (oneDNN, im2col + GEMM), and sgemm GFLOP/s;
// side by side with PyTorch's numbers from bench/peer_conv.py taken in the same run.
// Prints a table and writes bench/results.json (op, shape, backend, ours_ms, peer_ms, ratio).
// With --device cuda the same shapes run through cuDNN and cuBLAS, timed with a device synchronize
// around each call, beside bench/peer_conv.py --device cuda (PyTorch on the same GPU, FP32, no TF32).
//   bench_conv [--device cpu|cuda] [--threads 2] [--reps 10] [--peer peer.json] [--out FILE] [--only TEXT]
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/kernels/blas.h"
#include "core/rng.h"
#include "core/threads.h"
#include "core/timing.h"
#include "cuda/runtime.h"
#include "layers/conv2d.h"
#include "ops/ops.h"

using namespace rcnn;
using nlohmann::json;

namespace {

struct ConvShape {
  std::string name;  // as the peer script names it
  int64_t cin, cout, h, w;
};
const std::vector<ConvShape> kConvShapes = {
    {"vgg 64->64 @300x500", 64, 64, 300, 500},        {"vgg 128->128 @150x250", 128, 128, 150, 250},
    {"vgg 256->256 @75x125", 256, 256, 75, 125},      {"vgg 512->512 @38x63", 512, 512, 38, 63},
    {"tiny c1 3->32 @256x256", 3, 32, 256, 256},      {"tiny c2 32->64 @128x128", 32, 64, 128, 128},
    {"tiny c3 64->128 @64x64", 64, 128, 64, 64},      {"tiny c4 128->256 @32x32", 128, 256, 32, 32}};

struct GemmShape {
  std::string name;
  int64_t m, k, n;
};
const std::vector<GemmShape> kGemmShapes = {{"square 1024x1024x1024", 1024, 1024, 1024},
                                            {"im2col W[256x2304] @ cols[2304x4096]", 256, 2304, 4096},
                                            {"vgg fc6 300x25088 @ 25088x4096", 300, 25088, 4096}};

// The peer's median in ms for a row matching `match`, or -1 when the peer did not run.
double peer_ms(const json& peer, const char* table, const std::function<bool(const json&)>& match, const char* key) {
  if (!peer.contains(table)) return -1;
  for (const json& row : peer[table])
    if (match(row)) return row[key]["median"].get<double>() * 1e3;
  return -1;
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"rcnn.cpp convolution and GEMM benchmark"};
  int threads = 2, reps = 10;
  std::string peer_path, out_path = "bench/results.json", only;
  app.add_option("--threads", threads, "CPU threads (the peer must use the same)");
  app.add_option("--reps", reps, "timed repetitions per configuration (the median is reported)");
  app.add_option("--peer", peer_path, "JSON written by bench/peer_conv.py --json-out");
  app.add_option("--out", out_path, "where to write the results");
  app.add_option("--only", only, "run only the shapes whose name contains this text");
  std::string device_name = "cpu";
  app.add_option("--device", device_name, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  CLI11_PARSE(app, argc, argv);
  const bool on_gpu = device_name == "cuda";
  check(!on_gpu || cuda::available(), "bench_conv --device cuda: no CUDA device (built with CUDA=1: ",
        cuda::built_with_cuda() ? "yes" : "no", ")");
  const Device device = on_gpu ? Device::cuda() : Device::cpu();
  // A GPU call only queues work: wait for it inside the timed region.
  auto timed = [&](auto&& f) { return median_ms([&] { f(); if (on_gpu) cuda::synchronize(); }, reps, 3); };
  set_cpu_threads(threads);

  json peer = json::object();
  if (!peer_path.empty()) {
    std::ifstream in(peer_path);
    if (in.good()) peer = json::parse(in);
    check(peer.value("threads", threads) == threads, "the peer ran with ", peer.value("threads", 0),
          " threads, this benchmark with ", threads);
  }
  if (peer.empty()) std::printf("(no PyTorch peer results: ratios are left out)\n");

  json rows = json::array();
  auto add = [&](const std::string& op, const std::string& shape, const std::string& backend, double ours, double theirs,
                 double gflop) {
    double ratio = theirs > 0 ? ours / theirs : -1;
    rows.push_back({{"op", op}, {"shape", shape}, {"backend", backend}, {"ours_ms", ours},
                    {"peer_ms", theirs > 0 ? json(theirs) : json(nullptr)}, {"ratio", ratio > 0 ? json(ratio) : json(nullptr)},
                    {"gflops", gflop / ours * 1e3}});
    std::printf("%-15s %-26s %-17s %10.2f %10s %7s %8.1f\n", op.c_str(), shape.c_str(), backend.c_str(), ours,
                theirs > 0 ? std::to_string(theirs).substr(0, 8).c_str() : "-",
                ratio > 0 ? std::to_string(ratio).substr(0, 5).c_str() : "-", gflop / ours * 1e3);
    std::fflush(stdout);
  };

  if (on_gpu)
    std::printf("device %s\n", cuda::device_name(0).c_str());
  else
    std::printf("GEMM %s\n", cpu::gemm_kernels().c_str());
  std::printf("threads %d, median of %d\n%-15s %-26s %-17s %10s %10s %7s %8s\n", threads, reps, "op", "shape",
              "backend", "ours ms", "peer ms", "ratio", "GFLOP/s");
  Generator gen(0);
  std::vector<std::pair<CpuConvBackend, std::string>> backends = {{CpuConvBackend::OneDNN, "oneDNN(default)"},
                                                                   {CpuConvBackend::Im2col, "im2col+GEMM"}};
  if (on_gpu) backends = {{CpuConvBackend::OneDNN, "cuDNN"}};  // the CPU choice does not apply
  for (const ConvShape& s : kConvShapes) {
    if (s.name.find(only) == std::string::npos) continue;
    const double gflop = 2.0 * s.cin * s.cout * 9 * s.h * s.w / 1e9;
    Tensor x = randn({1, s.cin, s.h, s.w}, gen).to(device), w = (randn({s.cout, s.cin, 3, 3}, gen) * 0.05).to(device);
    Tensor b = zeros({s.cout}, device), gy = randn({1, s.cout, s.h, s.w}, gen).to(device);
    for (const auto& [backend, name] : backends) {
      set_cpu_conv_backend(backend);
      auto same = [&, name = name](const json& r) { return r["shape"] == s.name && r["backend"] == name; };
      auto forward = [&] { NoGradGuard g; conv2d(x, w, b, {1, 1, 1}); };
      double fwd = timed(forward);
      add("conv2d fwd", s.name, name, fwd, peer_ms(peer, "conv", same, "fwd_s"), gflop);
      if (on_gpu) {  // the CPU's share: when it is near the total, the call is bound by the host, not the GPU
        rows.back()["host_ms"] = median_ms(forward, reps);
        cuda::synchronize();
        std::printf("%15s host time per call (no sync): %.3f ms\n", "", rows.back()["host_ms"].get<double>());
      }
      Tensor xg = x.detach().requires_grad_(), wg = w.detach().requires_grad_(), bg = b.detach().requires_grad_();
      double fwdbwd = timed([&] {
        xg.zero_grad(), wg.zero_grad(), bg.zero_grad();
        conv2d(xg, wg, bg, {1, 1, 1}).backward(gy);
      });
      add("conv2d fwd+bwd", s.name, name, fwdbwd, peer_ms(peer, "conv", same, "fwdbwd_s"), 3 * gflop);
    }
  }
  set_cpu_conv_backend(CpuConvBackend::OneDNN);
  for (const GemmShape& s : kGemmShapes) {
    if (s.name.find(only) == std::string::npos) continue;
    Tensor a = randn({s.m, s.k}, gen).to(device), b = randn({s.k, s.n}, gen).to(device);
    const double gflop = 2.0 * s.m * s.n * s.k / 1e9;
    double ms = timed([&] { matmul(a, b); });
    auto same = [&](const json& r) { return r["shape"] == s.name && r["lib"] == "torch.matmul" && r["threads"] == threads; };
    add("sgemm", s.name, on_gpu ? "cuBLAS" : "oneDNN sgemm", ms, peer_ms(peer, "gemm", same, "time_s"), gflop);
  }
  json result = {{"threads", threads}, {"reps", reps}, {"rows", rows}};
  result["device"] = on_gpu ? cuda::device_name(0) : "cpu";
  if (!on_gpu) result["gemm_kernels"] = cpu::gemm_kernels();
  std::ofstream(out_path) << result.dump(1) << "\n";
  std::printf("wrote %s\n", out_path.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
