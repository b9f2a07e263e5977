#pragma once
// What a detector needs from a base network (Faster R-CNN, section 3: the shared convolutional
// layers): one feature map per image, its number of channels and its stride (image pixels per cell).
// VGG16, TinyNet and, next, ResNet and MobileNetV2 are backbones; the detector knows nothing else of them.
#include <memory>

#include "core/rng.h"
#include "layers/module.h"

namespace rcnn::models {

class Backbone : public Layer {
 public:
  Backbone(int64_t channels, int64_t stride) : channels(channels), stride(stride) {}
  // forward: (N, 3, H, W) normalised images -> (N, channels, ~H / stride, ~W / stride)
  int64_t channels, stride;

  // The network that turns each pooled RoI into a feature vector, where the backbone brings its own
  // (ResNet's conv5 stage, as in the paper's ResNet setup); none: the detector's fc6 and fc7.
  struct RoiHead {
    std::shared_ptr<Layer> layer;
    int64_t features = 0;  // the length of the vector per RoI
  };
  virtual RoiHead roi_head(Generator& /*gen*/) const { return {}; }
};

}  // namespace rcnn::models
