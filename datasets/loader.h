#pragma once
// The detection input pipeline: a background thread decodes, resizes, flips and normalises the next
// images while the model trains on the current one. The order (shuffled per epoch) and the flips come
// from the seed, so two runs see the same images in the same order with the same flips; a bounded
// queue keeps memory flat; destroying the loader stops the thread cleanly.
#include <array>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "core/rng.h"
#include "core/tensor.h"
#include "datasets/annotation.h"
#include "datasets/transforms.h"

namespace rcnn {

struct Sample {
  std::string id;
  Tensor image;                  // (3, H, W) normalised, at the network's scale
  std::vector<Box> boxes;        // at the network's scale (flipped with the image)
  std::vector<int64_t> labels;   // class indices
  std::vector<bool> difficult;
  float scale = 1;               // network size / original size: divide boxes by it to go back
  bool flipped = false;
  int original_width = 0, original_height = 0;
  // Set instead of everything else when the image could not be loaded and the loader skips such
  // images (LoaderOptions::skip_unreadable): the message says which file and why.
  std::string error;
};

struct LoaderOptions {
  int shorter_side = 600;  // docs/defaults.md (paper preset)
  int longer_side = 1000;
  bool flip = true;        // horizontal flip with probability 0.5
  bool shuffle = true;
  uint64_t seed = 0;
  size_t queue_size = 4;
  // false: an unreadable image stops the epoch with its error; true: it arrives as a Sample with
  // `error` set, so a long training run can warn, count it and go on.
  bool skip_unreadable = false;
  std::array<float, 3> mean = kImageNetMean, std = kImageNetStd;
};

// Loads one annotated image the way the loader does (used by the loader and by evaluation).
Sample prepare_sample(const Annotation& item, const LoaderOptions& options, bool flip);

class Loader {
 public:
  Loader(const Dataset& data, LoaderOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Starts epoch `epoch` (its order and flips depend only on the seed and the epoch number).
  void start_epoch(int64_t epoch);
  // The next sample of the epoch; false when the epoch is over. Rethrows a worker's error
  // (an unreadable image, unless skip_unreadable) here, on the caller's thread.
  bool next(Sample& sample);
  size_t size() const { return data_.items.size(); }

 private:
  void stop_worker();
  void work(std::vector<int64_t> order, std::vector<bool> flips);

  const Dataset& data_;
  LoaderOptions options_;
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Sample> queue_;
  size_t remaining_ = 0;  // samples of this epoch not yet taken by next()
  bool stopping_ = false;
  std::exception_ptr error_;
};

}  // namespace rcnn
