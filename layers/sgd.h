#pragma once
// Stochastic gradient descent with momentum and weight decay, in PyTorch's form:
//   v <- momentum v + (g + weight_decay p),    p <- p - lr lr_scale v
// Parameter groups carry their own lr scale and weight decay, e.g. py-faster-rcnn's biases with
// twice the learning rate and no weight decay.
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "layers/module.h"

namespace rcnn::optim {

struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0.9;
  double weight_decay = 0;
};

struct ParamGroup {
  NamedTensors params;
  double lr_scale = 1;
  double weight_decay = 0;
};

class SGD {
 public:
  SGD(const NamedTensors& params, SGDOptions options);  // one group with options.weight_decay
  SGD(std::vector<ParamGroup> groups, SGDOptions options);

  void zero_grad();
  // Parameters without a gradient are skipped. grad_scale multiplies every gradient as it is used (a sum
  // over a step's images becomes their mean, a clipped norm its bound) without a pass of its own.
  void step(double grad_scale = 1);
  // Updates one parameter from its gradient, e.g. from backward's leaf_done as soon as the gradient is
  // complete (core/tensor.h); a tensor the optimizer does not hold is left alone.
  void step(const Tensor& param, double grad_scale = 1);
  double lr() const { return options_.lr; }
  void set_lr(double lr) { options_.lr = lr; }
  const std::vector<ParamGroup>& groups() const { return groups_; }

  // The momentum buffers by parameter name ("momentum.<name>"), for checkpoints.
  NamedTensors state() const;
  void load_state(const NamedTensors& state);

 private:
  void update(size_t group, size_t index, double grad_scale);
  std::vector<ParamGroup> groups_;
  SGDOptions options_;
  std::unordered_map<const TensorImpl*, std::pair<size_t, size_t>> position_;  // parameter -> (group, index)
  std::vector<std::vector<Tensor>> velocity_;  // per group, per parameter; undefined until first step
};

// py-faster-rcnn's groups: weights (lr x1, weight_decay) and biases (lr x2, no weight decay by
// default); frozen parameters (requires_grad off) are left out.
std::vector<ParamGroup> weight_and_bias_groups(const Module& model, double weight_decay, double bias_lr_scale = 2,
                                               double bias_weight_decay = 0);

// Step schedule: lr = base_lr * gamma^(number of milestones <= step).
struct StepLR {
  double base_lr;
  std::vector<int64_t> milestones;
  double gamma = 0.1;
  double at(int64_t step) const;
};

// The joint L2 norm of the parameters' gradients (those without one count as zeros).
double grad_norm(const std::vector<Tensor>& params);
// Scales all gradients so their joint L2 norm is at most max_norm; returns the norm before clipping.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm);

}  // namespace rcnn::optim
