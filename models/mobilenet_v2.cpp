#include "models/mobilenet_v2.h"

#include "ops/ops.h"

namespace rcnn::models {

namespace {

// torchvision's Conv2dNormActivation: conv (no bias) "0", frozen batch norm "1", ReLU6 "2".
std::shared_ptr<nn::Sequential> conv_bn_relu6(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups,
                                              Generator& gen) {
  auto block = std::make_shared<nn::Sequential>();
  block->push_back(std::make_shared<nn::Conv2d>(in, out, kernel, Conv2dOptions{stride, (kernel - 1) / 2, 1, groups}, false, gen));
  block->push_back(std::make_shared<nn::FrozenBatchNorm2d>(out));
  block->push_back(std::make_shared<nn::ReLU6>());
  return block;
}

}  // namespace

InvertedResidual::InvertedResidual(int64_t in, int64_t out, int64_t stride, int64_t expansion, Generator& gen)
    : conv(register_module("conv", std::make_shared<nn::Sequential>())), residual(stride == 1 && in == out) {
  const int64_t hidden = in * expansion;
  if (expansion != 1) conv->push_back(conv_bn_relu6(in, hidden, 1, 1, 1, gen));
  conv->push_back(conv_bn_relu6(hidden, hidden, 3, stride, hidden, gen));  // depthwise
  conv->push_back(std::make_shared<nn::Conv2d>(hidden, out, 1, Conv2dOptions{}, false, gen));
  conv->push_back(std::make_shared<nn::FrozenBatchNorm2d>(out));
}

Tensor InvertedResidual::forward(const Tensor& x) { return residual ? x + conv->forward(x) : conv->forward(x); }

MobileNetV2::MobileNetV2(int64_t classes, Generator& gen)
    : Backbone(1280, 32),
      features(register_module("features", std::make_shared<nn::Sequential>())) {
  taps = {{24, 4}, {32, 8}, {96, 16}, {1280, 32}};
  features->push_back(conv_bn_relu6(3, 32, 3, 2, 1, gen));
  // (expansion t, width c, blocks n, first stride s): table 2 of the paper.
  const int64_t settings[][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                 {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  int64_t in = 32;
  for (const auto& [t, c, n, s] : settings) {
    for (int64_t i = 0; i < n; ++i) {
      features->push_back(std::make_shared<InvertedResidual>(in, c, i == 0 ? s : 1, t, gen));
      in = c;
    }
  }
  features->push_back(conv_bn_relu6(in, 1280, 1, 1, 1, gen));
  if (classes == 0) return;
  classifier = register_module("classifier", std::make_shared<nn::Sequential>());
  classifier->push_back(std::make_shared<nn::Dropout>(0.2, gen));
  classifier->push_back(std::make_shared<nn::Linear>(1280, classes, true, gen));
}

Tensor MobileNetV2::classify(const Tensor& x) {
  check(classifier != nullptr, "MobileNetV2::classify: built without a classifier (classes = 0)");
  return classifier->forward(mean(forward(x), {2, 3}));  // global average pooling
}

}  // namespace rcnn::models
