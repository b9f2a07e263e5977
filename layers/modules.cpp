#include "layers/modules.h"

#include <algorithm>

#include "layers/functional.h"
#include "layers/init.h"
#include "ops/checks.h"
#include "ops/ops.h"

namespace rcnn::nn {

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, Conv2dOptions options, bool with_bias,
               Generator& gen)
    : options(options) {
  check(in_channels > 0 && out_channels > 0 && kernel > 0, "Conv2d: channels ", in_channels, " -> ", out_channels,
        " and kernel ", kernel, " must be positive");
  check(options.groups >= 1 && in_channels % options.groups == 0 && out_channels % options.groups == 0, "Conv2d: groups ",
        options.groups, " must divide the ", in_channels, " input and ", out_channels, " output channels");
  weight = register_parameter("weight", Tensor::empty({out_channels, in_channels / options.groups, kernel, kernel}));
  kaiming_normal_(weight, gen);
  if (with_bias) bias = register_parameter("bias", zeros({out_channels}));
}

Tensor Conv2d::forward(const Tensor& x) { return conv2d(x, weight, bias, options); }

Linear::Linear(int64_t in_features, int64_t out_features, bool with_bias, Generator& gen) {
  check(in_features > 0 && out_features > 0, "Linear: features ", in_features, " -> ", out_features,
        " must be positive");
  weight = register_parameter("weight", Tensor::empty({out_features, in_features}));
  kaiming_normal_(weight, gen);
  if (with_bias) bias = register_parameter("bias", zeros({out_features}));
}

Tensor Linear::forward(const Tensor& x) { return linear(x, weight, bias); }

Tensor MaxPool2d::forward(const Tensor& x) { return max_pool2d(x, options); }
Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor ReLU6::forward(const Tensor& x) { return relu6(x); }

FrozenBatchNorm2d::FrozenBatchNorm2d(int64_t channels, double eps)
    : weight(register_parameter("weight", ones({channels}))),
      bias(register_parameter("bias", zeros({channels}))),
      running_mean(register_parameter("running_mean", zeros({channels}))),
      running_var(register_parameter("running_var", ones({channels}))),
      eps(eps) {
  freeze();
}

Tensor FrozenBatchNorm2d::forward(const Tensor& x) {
  check(x.dim() == 4 && x.size(1) == weight.size(0), "FrozenBatchNorm2d: input ", describe(x), " must be (N, ",
        weight.size(0), ", H, W)");
  const Tensor scale = weight / sqrt(running_var + eps);
  const Tensor shift = bias - running_mean * scale;
  const int64_t C = weight.size(0);
  return x * reshape(scale, {1, C, 1, 1}) + reshape(shift, {1, C, 1, 1});
}
Tensor Dropout::forward(const Tensor& x) { return dropout(x, p, is_training(), *gen_); }
Tensor Flatten::forward(const Tensor& x) { return flatten(x, 1); }

Sequential::Sequential(std::vector<std::shared_ptr<Layer>> layers) {
  for (auto& l : layers) push_back(std::move(l));
}

void Sequential::push_back(std::shared_ptr<Layer> layer) {
  layers_.push_back(register_module(std::to_string(layers_.size()), std::move(layer)));
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (const auto& layer : layers_) y = layer->forward(y);
  return y;
}

std::vector<Tensor> Sequential::forward_ends(const Tensor& x, const std::vector<size_t>& ends) {
  check(!ends.empty() && ends.back() < layers_.size() && std::is_sorted(ends.begin(), ends.end()),
        "Sequential::forward_ends: layer numbers must ascend below ", layers_.size());
  std::vector<Tensor> out;
  Tensor y = x;
  for (size_t i = 0, next = 0; next < ends.size(); ++i) {
    y = layers_[i]->forward(y);
    for (; next < ends.size() && ends[next] == i; ++next) out.push_back(y);
  }
  return out;
}

}  // namespace rcnn::nn
