#pragma once
// VGG16's convolutional part (Simonyan & Zisserman 2015, configuration D), laid out exactly like
// torchvision's `vgg16().features`, so its ImageNet weights load by name ("features.0.weight", ...):
// 13 conv 3x3 (padding 1) + ReLU, and a 2x2 max-pool after blocks 1-5.
#include <memory>

#include "core/rng.h"
#include "layers/modules.h"
#include "models/backbone.h"

namespace rcnn::models {

// width_divisor shrinks every layer's channels (tests use a small VGG16 with the same names).
// include_last_pool = false stops at conv5_3 + ReLU (stride 16), the feature map Faster R-CNN uses.
std::shared_ptr<nn::Sequential> vgg16_features(int64_t width_divisor = 1, bool include_last_pool = true,
                                               Generator& gen = default_generator());

// As a detection backbone: include_last_pool = false (512 / width_divisor channels at stride 16).
class VGG16 : public Backbone {
 public:
  explicit VGG16(int64_t width_divisor = 1, bool include_last_pool = true, Generator& gen = default_generator())
      : Backbone(512 / width_divisor, include_last_pool ? 32 : 16),
        features(register_module("features", vgg16_features(width_divisor, include_last_pool, gen))) {}
  Tensor forward(const Tensor& x) override { return features->forward(x); }
  std::shared_ptr<nn::Sequential> features;
};

}  // namespace rcnn::models
