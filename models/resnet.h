#pragma once
// ResNet-50 (He et al. 2016), laid out exactly like torchvision's `resnet50()` (conv1, bn1, layer1-4,
// fc; bottleneck blocks with their stride on the 3x3 conv, "v1.5"), so its ImageNet weights load by name.
// Batch norm is frozen. For detection it is split as in the Faster R-CNN paper's ResNet setup ("C4"):
// conv1 to layer3 is the backbone (1024 channels, stride 16), and layer4 with average pooling is the
// head that runs on each pooled RoI (14 x 14 -> 7 x 7 -> 2048 features).
#include <memory>

#include "core/rng.h"
#include "layers/modules.h"
#include "models/backbone.h"

namespace rcnn::models {

// 1x1 (width) -> 3x3 (width, stride) -> 1x1 (4 width), each with frozen batch norm; ReLU after the
// first two and after adding the shortcut (a 1x1 conv + batch norm where the shape changes).
class Bottleneck : public Layer {
 public:
  Bottleneck(int64_t in, int64_t width, int64_t stride, Generator& gen);
  Tensor forward(const Tensor& x) override;
  // In torchvision's order of registration (conv1, bn1, conv2, ...), so the names list alike.
  std::shared_ptr<nn::Conv2d> conv1;
  std::shared_ptr<nn::FrozenBatchNorm2d> bn1;
  std::shared_ptr<nn::Conv2d> conv2;
  std::shared_ptr<nn::FrozenBatchNorm2d> bn2;
  std::shared_ptr<nn::Conv2d> conv3;
  std::shared_ptr<nn::FrozenBatchNorm2d> bn3;
  std::shared_ptr<nn::Sequential> downsample;  // null: the identity
};

// torchvision's layerN: `blocks` bottlenecks, the first with `stride` (and the shortcut conv).
std::shared_ptr<nn::Sequential> resnet_stage(int64_t in, int64_t width, int64_t blocks, int64_t stride, Generator& gen);

// conv1 .. layer3 (stride 16, 1024 channels): the C4 backbone.
class ResNet50C4 : public Backbone {
 public:
  explicit ResNet50C4(Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override { return forward_stages(x).back(); }
  std::vector<Tensor> forward_stages(const Tensor& x);  // the ends of layer1-3: C2, C3, C4
  RoiHead roi_head(Generator& gen) const override;  // layer4 + average pooling, 2048 features
  std::shared_ptr<nn::Conv2d> conv1;
  std::shared_ptr<nn::FrozenBatchNorm2d> bn1;
  std::shared_ptr<nn::MaxPool2d> maxpool;
  std::shared_ptr<nn::Sequential> layer1, layer2, layer3;
};

// layer4 and global average pooling: pooled RoIs (S, 1024, 14, 14) -> (S, 2048).
class ResNetConv5Head : public Layer {
 public:
  explicit ResNetConv5Head(Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<nn::Sequential> layer4;
};

// The whole network, C4 and conv5 in torchvision's names: with `classes`, the classifier (fc);
// with 0, the body a feature pyramid reads (torchvision's fasterrcnn_resnet50_fpn: C2-C5, the ends
// of layer1-4, strides 4-32).
class ResNet50 : public Backbone {
 public:
  explicit ResNet50(int64_t classes = 1000, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;  // (N, 3, H, W) -> (N, 2048, H / 32, W / 32)
  std::vector<Tensor> forward_taps(const Tensor& x) override;  // C2, C3, C4, C5
  Tensor classify(const Tensor& x);          // (N, 3, H, W) -> (N, classes) logits
  std::shared_ptr<ResNet50C4> c4;
  std::shared_ptr<ResNetConv5Head> conv5;
  std::shared_ptr<nn::Linear> fc;  // null without classes
};

}  // namespace rcnn::models
