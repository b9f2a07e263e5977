#pragma once
// What a detector needs from a base network (Faster R-CNN, section 3: the shared convolutional
// layers): one feature map per image, its number of channels and its stride (image pixels per cell);
// and, for a feature pyramid (models/fpn.h), the maps it taps on the way (ResNet's C2-C5). VGG16,
// TinyNet, ResNet-50 and MobileNetV2 are backbones; the detector knows nothing else of them.
#include <memory>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "layers/module.h"

namespace rcnn::models {

class Backbone : public Layer {
 public:
  Backbone(int64_t channels, int64_t stride) : channels(channels), stride(stride) {}
  // forward: (N, 3, H, W) normalised images -> (N, channels, ~H / stride, ~W / stride)
  int64_t channels, stride;

  // The maps a detector reads, finest first, and their strides: the one map of forward() here; a
  // feature pyramid's levels (models/fpn.h).
  virtual std::vector<Tensor> forward_maps(const Tensor& x) { return {forward(x)}; }
  virtual std::vector<int64_t> map_strides() const { return {stride}; }
  // Batched images of different sizes are padded to a multiple of this (torchvision's size_divisible).
  virtual int64_t size_divisible() const { return stride; }

  // The ends of the network's stages, finest first, that a feature pyramid may read (empty: none).
  struct Tap {
    int64_t channels, stride;
  };
  std::vector<Tap> taps;
  // One map per tap, in one pass.
  virtual std::vector<Tensor> forward_taps(const Tensor& /*x*/) {
    throw Error("this backbone has no stage ends a feature pyramid can read");
  }

  // The network that turns each pooled RoI into a feature vector, where the backbone brings its own
  // (ResNet's conv5 stage, as in the paper's ResNet setup); none: the detector's fc6 and fc7.
  struct RoiHead {
    std::shared_ptr<Layer> layer;
    int64_t features = 0;  // the length of the vector per RoI
  };
  virtual RoiHead roi_head(Generator& /*gen*/) const { return {}; }
};

}  // namespace rcnn::models
