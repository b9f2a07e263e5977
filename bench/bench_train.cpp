// make bench: chapter 04's training step (models/small_cnn, batch 64, SGD with momentum) in images/s,
// first on a quiet machine, then beside --busy processes that each keep one core spinning (forked
// here), as a student's laptop is never idle. The framework should degrade gracefully: loaded
// throughput at least half the quiet one. Median of --reps windows of --steps steps each.
//   bench_train [--threads 2] [--busy 2] [--steps 20] [--reps 7] [--out bench/results_train.json]
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/rng.h"
#include "core/threads.h"
#include "core/timing.h"
#include "layers/losses.h"
#include "layers/sgd.h"
#include "models/small_cnn.h"
#include "ops/ops.h"

using namespace rcnn;

namespace {

// Processes that spin until killed (and die with this one, should it crash).
std::vector<pid_t> start_busy(int n) {
  std::vector<pid_t> pids;
  for (int i = 0; i < n; ++i) {
    const pid_t pid = fork();
    check(pid >= 0, "bench_train: fork failed");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      for (volatile uint64_t x = 0;; x = x + 1) {
      }
    }
    pids.push_back(pid);
  }
  return pids;
}

void stop_busy(const std::vector<pid_t>& pids) {
  for (pid_t pid : pids) kill(pid, SIGKILL);
  for (pid_t pid : pids) waitpid(pid, nullptr, 0);
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"rcnn.cpp training throughput, quiet and beside busy processes"};
  int threads = 2, busy = 2, steps = 20, reps = 7;
  std::string out_path = "bench/results_train.json";
  app.add_option("--threads", threads, "CPU threads");
  app.add_option("--busy", busy, "processes spinning beside the loaded run");
  app.add_option("--steps", steps, "training steps per timed window");
  app.add_option("--reps", reps, "timed windows (the median is reported)");
  app.add_option("--out", out_path, "where to write the results");
  CLI11_PARSE(app, argc, argv);
  set_cpu_threads(threads);

  Generator gen(0);
  auto model = models::small_cnn(gen);
  optim::SGD sgd(model->named_parameters(), {0.01, 0.9, 5e-4});
  const int64_t batch = 64;
  Tensor images = randn({batch, 1, 28, 28}, gen);
  Tensor labels = from_vector<int64_t>(std::vector<int64_t>(batch, 3), {batch});
  auto window = [&] {
    for (int s = 0; s < steps; ++s) {
      Tensor loss = cross_entropy(model->forward(images), labels);
      sgd.zero_grad();
      loss.backward();
      sgd.step();
    }
  };
  auto images_per_second = [&] { return steps * batch / median_ms(window, reps, 1) * 1e3; };

  const double quiet = images_per_second();
  std::printf("chapter 04 training step, %d threads: quiet %.0f images/s\n", threads, quiet);
  std::fflush(stdout);
  const std::vector<pid_t> pids = start_busy(busy);
  const double loaded = images_per_second();
  stop_busy(pids);
  std::printf("beside %d busy processes: %.0f images/s (%.2f of quiet)\n", busy, loaded, loaded / quiet);
  std::ofstream(out_path) << nlohmann::json{{"threads", threads}, {"busy", busy}, {"batch", batch},
                                            {"quiet_images_per_s", quiet}, {"loaded_images_per_s", loaded},
                                            {"loaded_over_quiet", loaded / quiet}}
                                 .dump(1)
                          << "\n";
  std::printf("wrote %s\n", out_path.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
