#pragma once
// The layer modules: each holds its parameters and calls the layer function of the same name.
#include <memory>
#include <vector>

#include "core/rng.h"
#include "layers/conv2d.h"
#include "layers/module.h"
#include "layers/pool2d.h"

namespace rcnn::nn {

// weight (K, C, R, S) Kaiming-normal, bias zero.
class Conv2d : public Layer {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, Conv2dOptions options = {}, bool bias = true,
         Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  Tensor weight, bias;
  Conv2dOptions options;
};

// weight (out, in) Kaiming-normal, bias zero.
class Linear : public Layer {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  Tensor weight, bias;
};

class MaxPool2d : public Layer {
 public:
  explicit MaxPool2d(MaxPool2dOptions options = {}) : options(options) {}
  Tensor forward(const Tensor& x) override;
  MaxPool2dOptions options;
};

class ReLU : public Layer {
 public:
  Tensor forward(const Tensor& x) override;
};

class ReLU6 : public Layer {
 public:
  Tensor forward(const Tensor& x) override;
};

// Passes its input on: stands where a layer was left out, so the layers after it keep their indices
// (and a pretrained network's weights still load by name).
class Identity : public Layer {
 public:
  Tensor forward(const Tensor& x) override { return x; }
};

// Batch norm with its statistics and affine frozen, as detectors fine-tune pretrained backbones (a batch
// of one or two images gives no usable statistics): y = (x - running_mean) / sqrt(running_var + eps)
// weight + bias per channel, i.e. one scale and one shift. Its four tensors are frozen parameters named
// as torchvision's (weight, bias, running_mean, running_var), so a BatchNorm2d state_dict loads by name
// (its num_batches_tracked is not needed: load with strict = false).
class FrozenBatchNorm2d : public Layer {
 public:
  explicit FrozenBatchNorm2d(int64_t channels, double eps = 1e-5);
  Tensor forward(const Tensor& x) override;  // (N, C, H, W)
  Tensor weight, bias, running_mean, running_var;
  double eps;
};

// Active in train() mode only; draws its masks from `gen`.
class Dropout : public Layer {
 public:
  explicit Dropout(double p = 0.5, Generator& gen = default_generator()) : p(p), gen_(&gen) {}
  Tensor forward(const Tensor& x) override;
  double p;

 private:
  Generator* gen_;
};

// (N, ...) -> (N, everything else)
class Flatten : public Layer {
 public:
  Tensor forward(const Tensor& x) override;
};

// Runs its children in order; they are named "0", "1", ... as in PyTorch, so parameter names such
// as "features.0.weight" match torchvision's.
class Sequential : public Layer {
 public:
  Sequential() = default;
  explicit Sequential(std::vector<std::shared_ptr<Layer>> layers);
  void push_back(std::shared_ptr<Layer> layer);
  Tensor forward(const Tensor& x) override;
  // forward's intermediate results: the outputs of the layers numbered `ends` (ascending), in one pass
  // that stops at the last of them.
  std::vector<Tensor> forward_ends(const Tensor& x, const std::vector<size_t>& ends);
  size_t size() const { return layers_.size(); }
  const std::vector<std::shared_ptr<Layer>>& layers() const { return layers_; }

 private:
  std::vector<std::shared_ptr<Layer>> layers_;  // the children, in order
};

}  // namespace rcnn::nn
