#pragma once
// Training a detector, the way a long run should go: one image per iteration from the loader's
// seeded order, SGD with the config's schedule, a progress bar, a JSON-lines log and a loss-curve PNG
// in the run folder, atomic checkpoints every train.checkpoint_every iterations, at the end and on
// Ctrl-C / SIGTERM, and --resume continuing bit for bit on the CPU. An image that cannot be decoded
// is skipped with a warning and counted; a loss that is not finite stops the run with an error, the
// last good checkpoint left as it was.
#include <functional>
#include <string>

#include "detection/faster_rcnn.h"

namespace rcnn {

struct IterationLog {
  int64_t iteration = 0;  // iterations done
  double total = 0, rpn_class = 0, rpn_box = 0, rcnn_class = 0, rcnn_box = 0;  // this iteration's losses
  double lr = 0;
};

struct TrainOptions {
  DetectorConfig config;
  std::string data_dir;
  std::string split = "trainval";
  std::string out_dir;  // the run: checkpoint.safetensors, log.jsonl, losses.png, config.yaml
  bool resume = false;
  Device device = kCPU;
  bool progress = true;
  // Called after every iteration: chapter 12 draws the detector as it learns.
  std::function<void(FasterRcnn& model, const IterationLog& log)> on_iteration;
};

struct TrainResult {
  int64_t iterations = 0;   // iterations done (from the start of the run, resumed ones included)
  bool interrupted = false;  // stopped by SIGINT / SIGTERM, state saved
  int64_t unreadable = 0;    // images skipped because they could not be decoded
  double seconds = 0;        // this session's training time ...
  double waiting_seconds = 0;  // ... of which waiting for the loader's next image
  std::string checkpoint;
};

TrainResult train_detector(const TrainOptions& options);

// The learning rate at an iteration: linear warm-up, then steps of gamma at the milestones.
double learning_rate(const SolverConfig& solver, int64_t iteration);

// The loader's settings for a config: resize, flips in training only, the seed's order.
LoaderOptions loader_options(const DetectorConfig& config, bool training);

}  // namespace rcnn
