#pragma once
// A seeded random generator. Everything random in rcnn.cpp (initialisation, dropout, shuffling,
// sampling anchors) draws from a Generator, so a run is reproducible from its seed, and the
// state can be saved in a checkpoint and restored exactly.
#include <cstdint>
#include <random>
#include <string>

namespace rcnn {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : engine_(seed) {}
  void seed(uint64_t s) { engine_.seed(s); }
  double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_); }
  double normal() { return std::normal_distribution<double>(0.0, 1.0)(engine_); }
  // Integer in [0, n).
  uint64_t below(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(engine_); }
  std::mt19937_64& engine() { return engine_; }

  std::string state() const;
  void set_state(const std::string& state);

 private:
  std::mt19937_64 engine_;
};

// The seed of item `index` of a stream seeded by `seed` (SplitMix64 of both, so neighbouring items
// get unrelated streams): a data-parallel run seeds each image's draws with its position in the data
// order, so they do not depend on which process took the image.
uint64_t item_seed(uint64_t seed, uint64_t index);

// The process-wide generator used when no other is given.
Generator& default_generator();
void manual_seed(uint64_t seed);

}  // namespace rcnn
