#pragma once
// The detection input pipeline: a background thread decodes, resizes, flips and normalises the next
// images while the model trains on the current one. The order (shuffled per epoch) and the flips come
// from the seed, so two runs see the same images in the same order with the same flips; a bounded
// queue keeps memory flat; destroying the loader stops the thread cleanly.
// Training reads one endless sequence of positions (position p is image p mod n of epoch p / n's
// order); a process of a data-parallel run reads every N-th of them (PyTorch's DistributedSampler:
// across N processes every image is seen once per epoch).
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
  int64_t position = 0;          // where in the loader's sequence it came (epoch * images + index)
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
// The same for an image already decoded (a server's upload): item gives its id and objects.
Sample prepare_image(const Annotation& item, Image image, const LoaderOptions& options, bool flip);

class Loader {
 public:
  Loader(const Dataset& data, LoaderOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Starts epoch `epoch` (its order and flips depend only on the seed and the epoch number).
  void start_epoch(int64_t epoch);
  // Starts an endless stream at position `first`, then first + stride, first + 2 stride, ...,
  // crossing epochs.
  void start_stream(int64_t first, int64_t stride = 1);
  // The next sample; false when the epoch is over (never for a stream). Rethrows a worker's error
  // (an unreadable image, unless skip_unreadable) here, on the caller's thread.
  bool next(Sample& sample);
  size_t size() const { return data_.items.size(); }

 private:
  void stop_worker();
  // Positions first, first + stride, ... below end (-1: no end).
  void start(int64_t first, int64_t stride, int64_t end);
  void work(int64_t first, int64_t stride, int64_t end);

  const Dataset& data_;
  LoaderOptions options_;
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Sample> queue_;
  int64_t remaining_ = 0;  // samples not yet taken by next() (-1: endless)
  bool stopping_ = false;
  std::exception_ptr error_;
};

}  // namespace rcnn
