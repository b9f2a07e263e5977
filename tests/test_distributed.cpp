// Data-parallel training (suite distributed): the loader's strided streams, per-image seeds, the
// gradient buckets' order, and, where mpirun and an MPI build are at hand, `mpirun -np 2 rcnn train`
// against one process: the same losses and weights, resuming with another number of processes,
// ranks that fail or disagree, and Ctrl-C.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "datasets/generated.h"
#include "datasets/loader.h"
#include "detection/trainer.h"
#include "detection/detector_checkpoint.h"
#include "distributed/gradient_reducer.h"
#include "layers/safetensors.h"
#include "ops/ops.h"
#include "tests/files.h"

using namespace rcnn;
using rcnn::testing::read_file;
using rcnn::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// A world of two ranks whose other rank always holds the same values: a sum doubles each tensor. It
// records what each all-reduce carried.
struct MirrorWorld : distributed::World {
  std::vector<std::vector<int64_t>> calls;  // the numel of each tensor of each all-reduce
  int rank() const override { return 0; }
  int size() const override { return 2; }
  std::string backend() const override { return "mirror"; }
  void all_reduce_sum(const std::vector<Tensor>& tensors) override {
    calls.emplace_back();
    for (const Tensor& t : tensors) {
      calls.back().push_back(t.numel());
      t.copy_(t * 2.0);
    }
  }
  void broadcast(const std::vector<Tensor>&, int) override {}
  void barrier() override {}
  [[noreturn]] void abort(int code) override { std::exit(code); }
};

using Run = rcnn::testing::CommandResult;
Run shell(const std::string& command) { return rcnn::testing::run_command(command); }

fs::path rcnn_binary() { return rcnn::testing::built_program("rcnn"); }

// Why the mpirun cases cannot run here, or "" when they can.
std::string mpirun_missing() {
#ifndef RCNN_MPI
  return "this build has no MPI (install libopenmpi-dev and openmpi-bin: scripts/deps.sh)";
#else
  if (shell("command -v mpirun").status != 0) return "mpirun is not installed (openmpi-bin: scripts/deps.sh)";
  if (!fs::exists(rcnn_binary())) return rcnn_binary().string() + " is not built (make test builds it)";
  return "";
#endif
}

// True, saying why, where the mpirun cases cannot run.
bool skipped_without_mpirun() {
  const std::string missing = mpirun_missing();
  if (!missing.empty()) MESSAGE("skipped: " << missing);
  return !missing.empty();
}

// mpirun on loopback only (no traffic leaves the machine), allowed to run as root in CI's containers,
// with more ranks than cores if need be.
std::string mpirun(int ranks) {
  return "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe --mca btl self,tcp "
         "--mca btl_tcp_if_include lo --mca oob_tcp_if_include lo -np " + std::to_string(ranks) + " ";
}

// The demo's config, small (as in the ch12 suite), on the command line.
std::string train_args(const TempDir& dir, const std::string& out, const std::string& more = "") {
  return " train --config configs/shapes_tiny.yaml --data " + dir / "shapes" + " --out " + dir / out +
         " --threads 1 --set input.shorter_side=128 --set input.longer_side=128 --set rcnn.hidden=64"
         " --set rpn.channels=32 --set train.warmup_iterations=2 --set train.log_every=1 --set train.checkpoint_every=100 " + more;
}

std::vector<nlohmann::json> log_lines(const std::string& path) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// The two runs' logs agree step by step (images and losses within 1e-5 relative) and so do their
// weights (each tensor's difference within 1e-5 of its norm).
void check_same_training(const std::string& a, const std::string& b) {
  const auto la = log_lines(a + "/log.jsonl"), lb = log_lines(b + "/log.jsonl");
  REQUIRE(la.size() == lb.size());
  REQUIRE(!la.empty());
  for (size_t i = 0; i < la.size(); ++i) {
    CAPTURE(la[i].dump());
    CAPTURE(lb[i].dump());
    CHECK(la[i]["iteration"] == lb[i]["iteration"]);
    CHECK(la[i]["images"] == lb[i]["images"]);
    for (const char* key : {"loss", "rpn_class", "rpn_box", "rcnn_class", "rcnn_box"})
      CHECK(la[i][key].get<double>() == doctest::Approx(lb[i][key].get<double>()).epsilon(1e-5));
  }
  const NamedTensors wa = load_safetensors(a + "/checkpoint.safetensors"), wb = load_safetensors(b + "/checkpoint.safetensors");
  REQUIRE(wa.size() == wb.size());
  for (size_t i = 0; i < wa.size(); ++i) {
    CAPTURE(wa[i].first);
    REQUIRE(wa[i].first == wb[i].first);
    if (!is_floating(wa[i].second.dtype())) continue;
    const Tensor x = wa[i].second.to(kFloat64), y = wb[i].second.to(kFloat64);
    const double difference = std::sqrt(sum((x - y) * (x - y)).item()), norm = std::sqrt(sum(y * y).item());
    CHECK(difference <= 1e-5 * norm + 1e-12);
  }
}

}  // namespace

TEST_SUITE("distributed") {
TEST_CASE("loader: N strided streams together read the single stream, epoch after epoch") {
  TempDir dir("loader_streams");
  const Dataset data = generate_shapes({dir.path.string(), 5, 3, 64});
  LoaderOptions options;
  options.shorter_side = options.longer_side = 64;
  options.seed = 5;
  auto read = [&](int64_t first, int64_t stride, int count) {
    Loader loader(data, options);
    loader.start_stream(first, stride);
    std::vector<std::tuple<int64_t, std::string, bool>> seen;
    Sample s;
    for (int i = 0; i < count; ++i) {
      REQUIRE(loader.next(s));
      seen.emplace_back(s.position, s.id, s.flipped);
    }
    return seen;
  };
  const auto single = read(3, 1, 12);  // crosses two epoch boundaries
  const auto even = read(3, 2, 6), odd = read(4, 2, 6);
  for (size_t i = 0; i < 6; ++i) {
    CHECK(even[i] == single[2 * i]);
    CHECK(odd[i] == single[2 * i + 1]);
  }
  // Positions 5..9 are epoch 1: every image once, in the order start_epoch(1) gives.
  Loader loader(data, options);
  loader.start_epoch(1);
  Sample s;
  std::set<std::string> ids;
  for (size_t i = 2; i < 7; ++i) {
    REQUIRE(loader.next(s));
    CHECK(std::get<0>(single[i]) == static_cast<int64_t>(i) + 3);
    CHECK(std::get<1>(single[i]) == s.id);
    CHECK(std::get<2>(single[i]) == s.flipped);
    ids.insert(s.id);
  }
  CHECK(ids.size() == 5);
  CHECK_FALSE(loader.next(s));
}

TEST_CASE("item seeds: fixed for a (seed, position), different between neighbours") {
  CHECK(item_seed(0, 7) == item_seed(0, 7));
  CHECK(item_seed(0, 7) != item_seed(0, 8));
  CHECK(item_seed(0, 7) != item_seed(1, 7));
  Generator a(item_seed(3, 100)), b(item_seed(3, 100));
  CHECK(a.uniform() == b.uniform());
}

TEST_CASE("gradient buckets: reduced in one order on every rank, each parameter handed on once") {
  // Four parameters a, b, c, d of 100, 200, 300 and 400 floats; buckets of 2 000 bytes from the last:
  // {d}, {c, b}, {a} (d is 1 600 bytes, d + c would be 2 800; c + b is 2 000, c + b + a 2 400).
  std::vector<Tensor> params;
  for (int64_t n : {100, 200, 300, 400}) {
    Tensor p = zeros({n});
    p.requires_grad_();
    p.set_grad(full({n}, 1.5));
    params.push_back(p);
  }
  MirrorWorld world;
  std::vector<int64_t> handed;
  distributed::GradientReducer reducer(world, params, 2000, [&](Tensor& p) { handed.push_back(p.numel()); });
  CHECK(reducer.buckets() == 3);
  CHECK(world.calls == std::vector<std::vector<int64_t>>{{2}});  // the ranks agreed on the buckets (one flag each)
  world.calls.clear();
  reducer.ready(params[1]);  // b: its bucket still waits for c
  reducer.ready(params[0]);  // a: bucket 2 is complete, but buckets 0 and 1 come first
  CHECK(world.calls.empty());
  reducer.ready(params[3]);  // d: bucket 0 goes
  CHECK(world.calls == std::vector<std::vector<int64_t>>{{400}});
  reducer.ready(params[2]);  // c: buckets 1 and then 2 go
  CHECK(world.calls == std::vector<std::vector<int64_t>>{{400}, {300, 200}, {100}});
  CHECK(handed == std::vector<int64_t>{400, 300, 200, 100});
  for (const Tensor& p : params) CHECK(p.grad().to_vector<float>() == std::vector<float>(p.numel(), 3.0f));
  reducer.finish_step();  // nothing left this step
  CHECK(world.calls.size() == 3);

  // A step where this rank's images reached no parameter: the buckets still go, with zeros.
  world.calls.clear();
  handed.clear();
  for (Tensor& p : params) p.zero_grad();
  reducer.finish_step();
  CHECK(world.calls.size() == 3);
  CHECK(handed.size() == 4);
  for (const Tensor& p : params) CHECK(sum(p.grad()).item() == 0);
}

TEST_CASE("a step of B images: accumulated or in one padded batch, the same training") {
  TempDir dir("batch_modes");
  generate_shapes({dir / "shapes", 6, 9, 128});
  for (const std::string mode : {"accumulate", "padded"}) {
    TrainOptions o;
    o.config = load_config("configs/shapes_tiny.yaml",
                           {"input.shorter_side=128", "input.longer_side=128", "rcnn.hidden=64", "rpn.channels=32",
                            "train.iterations=4", "train.warmup_iterations=2", "train.log_every=1", "train.images_per_step=2",
                            "train.batch_mode=" + mode});
    o.data_dir = dir / "shapes";
    o.out_dir = dir / mode;
    o.progress = false;
    const TrainResult r = train_detector(o);
    CHECK(r.iterations == 4);
    CHECK(r.images == 8);
  }
  check_same_training(dir / "accumulate", dir / "padded");
}

TEST_CASE("mpirun -np 2: the losses and weights of one process with twice the images a step, and resuming with another N") {
  if (skipped_without_mpirun()) return;
  TempDir dir("mpirun_same");
  generate_shapes({dir / "shapes", 10, 4, 128});  // 8 trainval images: 6 steps of 2 cross an epoch
  const std::string rcnn = rcnn_binary().string();
  const Run one = shell(rcnn + train_args(dir, "one", "--set train.iterations=6 --set train.images_per_step=2"));
  REQUIRE_MESSAGE(one.status == 0, one.output);
  const Run two = shell(mpirun(2) + rcnn + train_args(dir, "two", "--set train.iterations=6"));
  REQUIRE_MESSAGE(two.status == 0, two.output);
  CHECK(two.output.find("2 images a step (2 processes x 1)") != std::string::npos);
  CHECK(two.output.find("trained to iteration 6 (12 images)") != std::string::npos);
  CHECK(one.output.find(" images/s; ") != std::string::npos);  // this session's images over its seconds
  CHECK(two.output.find("s summing gradients over 2 processes") != std::string::npos);
  check_same_training(dir / "one", dir / "two");

  // Three steps on two processes, then three more on one with two images each: the same run.
  const Run half = shell(mpirun(2) + rcnn + train_args(dir, "moved", "--set train.iterations=3"));
  REQUIRE_MESSAGE(half.status == 0, half.output);
  CHECK(read_detector_info(dir / "moved").position == 6);
  const Run rest = shell(rcnn + train_args(dir, "moved", "--resume --set train.iterations=6 --set train.images_per_step=2"));
  REQUIRE_MESSAGE(rest.status == 0, rest.output);
  check_same_training(dir / "one", dir / "moved");
}

TEST_CASE("mpirun -np 2: a rank that fails stops every rank with one line; ranks that disagree refuse to train") {
  if (skipped_without_mpirun()) return;
  TempDir dir("mpirun_faults");
  generate_shapes({dir / "shapes", 6, 5, 128});
  const std::string rcnn = rcnn_binary().string();
  const std::string long_run = "--set train.iterations=100000";
  {  // an error on rank 1 (an exception): named, and rank 0 is stopped too
    const Run r = shell("RCNN_FAULT=1:3:throw " + mpirun(2) + rcnn + train_args(dir, "throw", long_run));
    CAPTURE(r.output);
    CHECK(r.status != 0);
    CHECK(r.seconds < 30);
    CHECK(r.output.find("rcnn: error: rank 1 of 2: a fault injected by RCNN_FAULT=1:3:throw (stopping every rank)") !=
          std::string::npos);
  }
  // Rank 1 vanishes: mpirun ends the others and names it (OpenMPI's [[job, 1], rank] is process 1).
  for (const auto& [kind, says] : {std::pair<std::string, std::string>{"exit", "Exit code:    3"}, {"kill", "signal 9"}}) {
    const Run r = shell("RCNN_FAULT=1:3:" + kind + " " + mpirun(2) + rcnn + train_args(dir, kind, long_run));
    CAPTURE(r.output);
    CHECK(r.status != 0);
    CHECK(r.seconds < 30);
    CHECK(r.output.find(says) != std::string::npos);
    CHECK((r.output.find("rank 1") != std::string::npos || r.output.find(",1]") != std::string::npos));
  }
  {  // rank 1 stops (SIGSTOP): rank 0 once waited forever, spinning a core; now it names rank 1 at the
     // timeout, having slept meanwhile, and the job ends
    const Run r = shell("RCNN_FAULT=1:3:stop " + mpirun(2) + rcnn + train_args(dir, "stop", long_run + " --set train.collective_timeout_s=3"));
    CAPTURE(r.output);
    CHECK(r.status != 0);
    CHECK(r.seconds < 40);
    const size_t named = r.output.find("rcnn: error: rank 0 of 2 waited 3 s in ");
    REQUIRE(named != std::string::npos);
    CHECK(r.output.find("for rank 1, which did not arrive", named) != std::string::npos);
    const size_t cpu = r.output.find("the wait took ", named);
    REQUIRE(cpu != std::string::npos);
    CHECK(std::stod(r.output.substr(cpu + 14)) < 1.5);  // of the 3 s waited: it slept
  }
  {  // rank 1 started with another config: both refuse before the first step, rank 0 says why
    const std::string args = train_args(dir, "differ", "--set train.iterations=3");
    const Run r = shell(mpirun(1) + rcnn + args + " : -np 1 " + rcnn + args + " --set rpn.nms_threshold=0.6");
    CAPTURE(r.output);
    CHECK(r.status != 0);
    CHECK(r.output.find("rcnn: error: rank 1 of 2 was started with another config, data set or split than rank 0") !=
          std::string::npos);
    CHECK_FALSE(fs::exists(dir / "differ/checkpoint.safetensors"));
  }
  {  // rank 1 with other gradient buckets: refused at start naming it (it once died in MPI_Allreduce
     // with "double free or corruption", or the error named rank 0)
    const std::string args = train_args(dir, "buckets", "--set train.iterations=3");
    const Run r = shell(mpirun(1) + rcnn + args + " : -np 1 " + rcnn + args + " --bucket-mb 1");
    CAPTURE(r.output);
    CHECK(r.status != 0);
    CHECK(r.output.find("rcnn: error: rank 1 of 2 would sum gradients in other buckets than rank 0") != std::string::npos);
    CHECK(r.output.find("corruption") == std::string::npos);
  }
  {  // the same image names with another picture on rank 1: refused naming it
    fs::copy(dir / "shapes", dir / "other", fs::copy_options::recursive);
    const std::string first = read_file(dir / "shapes/ImageSets/Main/trainval.txt").substr(0, 6);
    const std::string second = read_file(dir / "shapes/ImageSets/Main/trainval.txt").substr(7, 6);
    fs::copy_file(dir / "shapes/JPEGImages/" + second + ".jpg", dir / "other/JPEGImages/" + first + ".jpg",
                  fs::copy_options::overwrite_existing);
    const std::string args = train_args(dir, "pictures", "--set train.iterations=3");
    std::string other = args;
    other.replace(other.find(dir / "shapes"), (dir / "shapes").size(), dir / "other");
    const Run r = shell(mpirun(1) + rcnn + args + " : -np 1 " + rcnn + other);
    CAPTURE(r.output);
    CHECK(r.status != 0);
    CHECK(r.output.find("rcnn: error: rank 1 of 2 was started with another config, data set or split than rank 0") !=
          std::string::npos);
  }
}

// A SIGTERM that landed in one of oneDNN's GEMM kernels used to corrupt the heap (core/interrupt.cpp):
// this case failed about one run in thirty until the signals were received on a thread of their own.
TEST_CASE("mpirun -np 2: Ctrl-C on mpirun saves one checkpoint, and the run resumes") {
  if (skipped_without_mpirun()) return;
  TempDir dir("mpirun_interrupt");
  generate_shapes({dir / "shapes", 6, 6, 128});
  const std::string command = "exec " + mpirun(2) + rcnn_binary().string() +
                              train_args(dir, "run", "--set train.iterations=100000") + " > " + dir / "output.txt" + " 2>&1";
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Steps have been logged: interrupt mpirun as Ctrl-C does (it passes SIGTERM on to every rank).
  for (int i = 0; i < 600 && log_lines(dir / "run/log.jsonl").size() < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto start = std::chrono::steady_clock::now();
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string output = read_file(dir / "output.txt");
  CAPTURE(output);
  CHECK(seconds < 15);
  CHECK(output.find("interrupted at iteration ") != std::string::npos);
  // The hint keeps the run's N x B (it once left it out: one process then went on with half the images a step).
  CHECK(output.find("continue with: rcnn train --resume --data " + dir / "shapes" + " --out " + dir / "run" +
                    " --set train.images_per_step=2") != std::string::npos);
  const DetectorInfo saved = read_detector_info(dir / "run");
  CHECK(saved.iteration >= 3);
  CHECK(saved.position == 2 * saved.iteration);
  CHECK(log_lines(dir / "run/log.jsonl").size() == static_cast<size_t>(saved.iteration));
  const Run resumed = shell(rcnn_binary().string() + train_args(dir, "run", "--resume --set train.iterations=" +
                                                                           std::to_string(saved.iteration + 2)));
  CHECK_MESSAGE(resumed.status == 0, resumed.output);
  CHECK(read_detector_info(dir / "run").position == saved.position + 2);
  // Resumed alone without the hint's --set: the steps halve, and it says so.
  CHECK(resumed.output.find("warning: the run had 2 images a step and goes on with 1 (1 process x train.images_per_step 1)") !=
        std::string::npos);
}
}  // TEST_SUITE
