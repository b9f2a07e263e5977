#include "models/resnet.h"

#include "layers/init.h"
#include "ops/ops.h"

namespace rcnn::models {

namespace {

// A bias-free conv initialised as torchvision's ResNet: Kaiming-normal by fan-out. (By fan-in, an
// untrained ResNet-50's activations grow to thousands through its 16 residual sums, and a detector
// trained on it from scratch diverges in its first steps.)
std::shared_ptr<nn::Conv2d> conv(int64_t in, int64_t out, int64_t kernel, Conv2dOptions options, Generator& gen) {
  auto c = std::make_shared<nn::Conv2d>(in, out, kernel, options, false, gen);
  kaiming_normal_(c->weight, gen, /*by_fan_out=*/true);
  return c;
}

}  // namespace

Bottleneck::Bottleneck(int64_t in, int64_t width, int64_t stride, Generator& gen)
    : conv1(register_module("conv1", conv(in, width, 1, Conv2dOptions{}, gen))),
      bn1(register_module("bn1", std::make_shared<nn::FrozenBatchNorm2d>(width))),
      conv2(register_module("conv2", conv(width, width, 3, Conv2dOptions{stride, 1}, gen))),
      bn2(register_module("bn2", std::make_shared<nn::FrozenBatchNorm2d>(width))),
      conv3(register_module("conv3", conv(width, 4 * width, 1, Conv2dOptions{}, gen))),
      bn3(register_module("bn3", std::make_shared<nn::FrozenBatchNorm2d>(4 * width))) {
  if (stride == 1 && in == 4 * width) return;
  downsample = register_module("downsample", std::make_shared<nn::Sequential>());
  downsample->push_back(conv(in, 4 * width, 1, Conv2dOptions{stride}, gen));
  downsample->push_back(std::make_shared<nn::FrozenBatchNorm2d>(4 * width));
}

Tensor Bottleneck::forward(const Tensor& x) {
  Tensor y = relu(bn1->forward(conv1->forward(x)));
  y = relu(bn2->forward(conv2->forward(y)));
  y = bn3->forward(conv3->forward(y));
  return relu(y + (downsample ? downsample->forward(x) : x));
}

std::shared_ptr<nn::Sequential> resnet_stage(int64_t in, int64_t width, int64_t blocks, int64_t stride, Generator& gen) {
  auto stage = std::make_shared<nn::Sequential>();
  for (int64_t i = 0; i < blocks; ++i) stage->push_back(std::make_shared<Bottleneck>(i == 0 ? in : 4 * width, width, i == 0 ? stride : 1, gen));
  return stage;
}

ResNet50C4::ResNet50C4(Generator& gen)
    : Backbone(1024, 16),
      conv1(register_module("conv1", conv(3, 64, 7, Conv2dOptions{2, 3}, gen))),
      bn1(register_module("bn1", std::make_shared<nn::FrozenBatchNorm2d>(64))),
      maxpool(std::make_shared<nn::MaxPool2d>(MaxPool2dOptions{3, 2, 1})),
      layer1(register_module("layer1", resnet_stage(64, 64, 3, 1, gen))),
      layer2(register_module("layer2", resnet_stage(256, 128, 4, 2, gen))),
      layer3(register_module("layer3", resnet_stage(512, 256, 6, 2, gen))) {}

std::vector<Tensor> ResNet50C4::forward_stages(const Tensor& x) {
  const Tensor c2 = layer1->forward(maxpool->forward(relu(bn1->forward(conv1->forward(x)))));
  const Tensor c3 = layer2->forward(c2);
  return {c2, c3, layer3->forward(c3)};
}

Backbone::RoiHead ResNet50C4::roi_head(Generator& gen) const { return {std::make_shared<ResNetConv5Head>(gen), 2048}; }

ResNetConv5Head::ResNetConv5Head(Generator& gen) : layer4(register_module("layer4", resnet_stage(1024, 512, 3, 2, gen))) {}

Tensor ResNetConv5Head::forward(const Tensor& x) { return mean(layer4->forward(x), {2, 3}); }

ResNet50::ResNet50(int64_t classes, Generator& gen)
    : Backbone(2048, 32), c4(std::make_shared<ResNet50C4>(gen)), conv5(std::make_shared<ResNetConv5Head>(gen)) {
  taps = {{256, 4}, {512, 8}, {1024, 16}, {2048, 32}};
  // Registered part by part under torchvision's top-level names (conv1, bn1, layer1-4, fc).
  register_module("conv1", c4->conv1);
  register_module("bn1", c4->bn1);
  register_module("layer1", c4->layer1);
  register_module("layer2", c4->layer2);
  register_module("layer3", c4->layer3);
  register_module("layer4", conv5->layer4);
  if (classes > 0) fc = register_module("fc", std::make_shared<nn::Linear>(2048, classes, true, gen));
}

Tensor ResNet50::forward(const Tensor& x) { return conv5->layer4->forward(c4->forward(x)); }

std::vector<Tensor> ResNet50::forward_taps(const Tensor& x) {
  std::vector<Tensor> stages = c4->forward_stages(x);
  stages.push_back(conv5->layer4->forward(stages.back()));
  return stages;
}

Tensor ResNet50::classify(const Tensor& x) {
  check(fc != nullptr, "ResNet50::classify: built without a classifier (classes = 0)");
  return fc->forward(mean(forward(x), {2, 3}));
}

}  // namespace rcnn::models
