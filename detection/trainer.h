#pragma once
// Training a detector, the way a long run should go: SGD steps on minibatches from the loader's
// seeded order with the config's schedule, a progress bar, a JSON-lines log and a loss-curve PNG in
// the run folder, atomic checkpoints every train.checkpoint_every steps, at the end and on Ctrl-C /
// SIGTERM, and --resume continuing bit for bit on the CPU. An image that cannot be decoded is skipped
// with a warning and counted; a loss that is not finite stops the run with an error, the last good
// checkpoint left as it was.
//
// A step averages the gradients of train.images_per_step images per process (accumulated: one image's
// forward and backward after another, the memory of one image), over every process of the run
// (`mpirun -np N rcnn train ...`, distributed/world.h): a step is N x images_per_step images, the next
// ones of one global order, process r taking every N-th from position r. Each image's random draws
// (the RPN's and R-CNN's samples, dropout) come from a generator seeded by its position in that order,
// so a run's numbers do not depend on N: 2 processes of 1 image a step train as 1 process of 2.
// Rank 0 writes the run's files; a checkpoint resumes with any N.
#include <functional>
#include <string>

#include "detection/faster_rcnn.h"
#include "distributed/world.h"

namespace rcnn {

struct IterationLog {
  int64_t iteration = 0;  // steps done
  double total = 0, rpn_class = 0, rpn_box = 0, rcnn_class = 0, rcnn_box = 0;  // the step's mean losses
  double lr = 0;
  int64_t images = 0;  // positions of the data order consumed when the step ended (unreadable ones too)
};

struct TrainOptions {
  DetectorConfig config;
  std::string data_dir;
  std::string split = "trainval";
  std::string out_dir;  // the run: checkpoint.safetensors, log.jsonl, losses.png, config.yaml
  bool resume = false;
  Device device = kCPU;
  bool progress = true;
  // Gradients are summed over processes in buckets of about this size (distributed/gradient_reducer.h;
  // bench/results_scaling.json measures the choice). Not part of the config: it changes no number.
  double bucket_mb = 4;
  // Called after every step on every process: chapter 12 draws the detector as it learns.
  std::function<void(FasterRcnn& model, const IterationLog& log)> on_iteration;
};

struct TrainResult {
  int64_t iterations = 0;   // steps done (from the start of the run, resumed ones included)
  int64_t images = 0;       // positions of the data order consumed (from the start of the run)
  int64_t session_images = 0;  // ... of them in this session (images a second: / seconds)
  int64_t step_images = 0;     // images a step: processes x train.images_per_step
  bool interrupted = false;  // stopped by SIGINT / SIGTERM, state saved
  int64_t unreadable = 0;    // images skipped because they could not be decoded
  double seconds = 0;        // this session's training time ...
  double waiting_seconds = 0;  // ... of which waiting for the loader's next image ...
  double allreduce_seconds = 0;  // ... and summing gradients over processes (0 alone) ...
  double sync_seconds = 0;       // ... and waiting there for slower processes
  std::string checkpoint;
};

TrainResult train_detector(const TrainOptions& options);

// The learning rate at an iteration: linear warm-up, then steps of gamma at the milestones.
double learning_rate(const SolverConfig& solver, int64_t iteration);

// The loader's settings for a config: resize, flips in training only, the seed's order.
LoaderOptions loader_options(const DetectorConfig& config, bool training);

}  // namespace rcnn
