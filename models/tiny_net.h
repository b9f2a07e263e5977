#pragma once
// TinyNet: four blocks of conv 3x3 (padding 1) + ReLU + 2x2 max-pool, 3 -> 32 -> 64 -> 128 -> 256
// channels, stride 16 (its convolutions named body.0, body.3, body.6, body.9, as a torchvision
// Sequential names them). Exactly the backbone of bench/peer_detector.py, so the detector's speed is
// compared like for like; small enough to train a detector from scratch on a CPU in minutes.
// Stride 8 leaves out the last pool: the same weights and convolutions, a feature map four times as
// large, for objects only a few stride-16 cells wide.
#include <memory>

#include "core/rng.h"
#include "layers/modules.h"
#include "models/backbone.h"

namespace rcnn::models {

class TinyNet : public Backbone {
 public:
  explicit TinyNet(int64_t stride = 16, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override { return body->forward(x); }
  // The ends of the stride-4, -8 and (at stride 16) -16 blocks: 64, 128 and 256 channels.
  std::vector<Tensor> forward_taps(const Tensor& x) override { return body->forward_ends(x, tap_layers); }
  std::shared_ptr<nn::Sequential> body;
  std::vector<size_t> tap_layers;  // the body's layers that end the taps' blocks
};

}  // namespace rcnn::models
