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
// stride 32 keeps all five pools; 16 stops at conv5_3 + ReLU, the feature map Faster R-CNN uses; 8 also
// leaves out pool4 (an Identity in its place, so conv5's weights keep torchvision's names).
std::shared_ptr<nn::Sequential> vgg16_features(int64_t width_divisor = 1, int64_t stride = 32,
                                               Generator& gen = default_generator());

// As a detection backbone: stride 16 (or 8), 512 / width_divisor channels.
class VGG16 : public Backbone {
 public:
  explicit VGG16(int64_t width_divisor = 1, int64_t stride = 32, Generator& gen = default_generator())
      : Backbone(512 / width_divisor, stride),
        features(register_module("features", vgg16_features(width_divisor, stride, gen))) {}
  Tensor forward(const Tensor& x) override { return features->forward(x); }
  std::shared_ptr<nn::Sequential> features;
};

}  // namespace rcnn::models
