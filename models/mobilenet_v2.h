#pragma once
// MobileNetV2 (Sandler et al. 2018), laid out exactly like torchvision's `mobilenet_v2()`, so its
// ImageNet weights load by name (features.0.0.weight, ..., classifier.1.weight): a 3x3 stride-2 conv,
// 17 inverted residual blocks (1x1 expansion, 3x3 depthwise, 1x1 linear projection; a shortcut where
// the shape allows), a 1x1 conv to 1280 channels, then global average pooling and a linear classifier.
// Batch norm is frozen (FrozenBatchNorm2d): the network is used pretrained, for inference or
// fine-tuning with batches of one image. As a detection backbone: `features`, 1280 channels, stride 32.
#include <memory>

#include "core/rng.h"
#include "layers/modules.h"
#include "models/backbone.h"

namespace rcnn::models {

// The inverted residual block (section 3.3): expand by `expansion` (skipped when 1), depthwise 3x3 with
// `stride`, project linearly (no activation: a ReLU would destroy information in the narrow layer);
// x + block(x) when stride is 1 and the widths match.
class InvertedResidual : public Layer {
 public:
  InvertedResidual(int64_t in, int64_t out, int64_t stride, int64_t expansion, Generator& gen);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<nn::Sequential> conv;
  bool residual;
};

class MobileNetV2 : public Backbone {
 public:
  // classes = 0: no classifier (the detection backbone).
  explicit MobileNetV2(int64_t classes = 1000, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override { return features->forward(x); }  // (N, 1280, H / 32, W / 32)
  // The ends of the stride-4, -8, -16 and -32 stages (features 3, 6, 13 and 18: 24, 32, 96 and 1280
  // channels). Not torchvision's MobileNet "FPN", whose two maps (features 13's expansion and 18) are
  // both stride 32.
  std::vector<Tensor> forward_taps(const Tensor& x) override { return features->forward_ends(x, tap_layers); }
  const std::vector<size_t> tap_layers = {3, 6, 13, 18};
  Tensor classify(const Tensor& x);  // (N, 3, H, W) normalised images -> (N, classes) logits
  std::shared_ptr<nn::Sequential> features, classifier;  // classifier: null without classes
};

}  // namespace rcnn::models
