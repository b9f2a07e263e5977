#include "layers/sgd.h"

#include "core/kernels.h"

#include <cmath>
#include <map>

#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace rcnn::optim {

SGD::SGD(const NamedTensors& params, SGDOptions options)
    : SGD(std::vector<ParamGroup>{{params, 1.0, options.weight_decay}}, options) {}

SGD::SGD(std::vector<ParamGroup> groups, SGDOptions options) : groups_(std::move(groups)), options_(options) {
  check(options.lr >= 0 && options.momentum >= 0 && options.weight_decay >= 0, "SGD: lr ", options.lr,
        ", momentum ", options.momentum, ", weight decay ", options.weight_decay, " must not be negative");
  for (const auto& g : groups_) {
    for (size_t i = 0; i < g.params.size(); ++i) {
      const auto& [name, p] = g.params[i];
      check(p.is_leaf() && is_floating(p.dtype()), "SGD: '", name, "' is not a floating-point leaf tensor");
      position_[&p.impl()] = {velocity_.size(), i};
    }
    velocity_.emplace_back(g.params.size());
  }
}

void SGD::zero_grad() {
  for (auto& g : groups_)
    for (auto& [name, p] : g.params) p.zero_grad();
}

void SGD::step(double grad_scale) {
  for (size_t gi = 0; gi < groups_.size(); ++gi)
    for (size_t i = 0; i < groups_[gi].params.size(); ++i) update(gi, i, grad_scale);
}

void SGD::step(const Tensor& param, double grad_scale) {
  auto it = position_.find(&param.impl());
  if (it != position_.end()) update(it->second.first, it->second.second, grad_scale);
}

void SGD::update(size_t gi, size_t i, double grad_scale) {
  NoGradGuard no_grad;
  const ParamGroup& group = groups_[gi];
  const Tensor& p = group.params[i].second;
  const Tensor g = p.grad();
  if (!g.defined()) return;
  Tensor& v = velocity_[gi][i];
  const bool first = !v.defined();  // PyTorch starts the buffer at the (decayed) gradient
  if (first) v = Tensor::empty(p.shape(), p.options());
  RCNN_KERNEL(p.device(), sgd_update, p, g, v, options_.lr * group.lr_scale, options_.momentum, group.weight_decay,
              grad_scale, first);
}

NamedTensors SGD::state() const {
  NamedTensors out;
  for (size_t gi = 0; gi < groups_.size(); ++gi)
    for (size_t i = 0; i < groups_[gi].params.size(); ++i)
      if (velocity_[gi][i].defined()) out.emplace_back("momentum." + groups_[gi].params[i].first, velocity_[gi][i]);
  return out;
}

void SGD::load_state(const NamedTensors& state) {
  std::map<std::string, Tensor> by_name(state.begin(), state.end());
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    for (size_t i = 0; i < groups_[gi].params.size(); ++i) {
      const auto& [name, p] = groups_[gi].params[i];
      auto it = by_name.find("momentum." + name);
      if (it == by_name.end()) {
        velocity_[gi][i] = Tensor();
        continue;
      }
      check(it->second.shape() == p.shape() && it->second.dtype() == p.dtype(), "SGD::load_state: momentum of '",
            name, "' has shape ", shape_str(it->second.shape()), ", the parameter ", shape_str(p.shape()));
      velocity_[gi][i] = it->second.to(p.device());
      by_name.erase(it);
    }
  }
  std::string unknown;
  for (const auto& [name, t] : by_name) unknown += " " + name;
  check(unknown.empty(), "SGD::load_state: state for parameters the optimizer does not have:", unknown);
}

std::vector<ParamGroup> weight_and_bias_groups(const Module& model, double weight_decay, double bias_lr_scale,
                                               double bias_weight_decay) {
  ParamGroup weights{{}, 1.0, weight_decay}, biases{{}, bias_lr_scale, bias_weight_decay};
  for (const auto& [name, p] : model.named_parameters()) {
    if (!p.requires_grad()) continue;
    bool is_bias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
    (is_bias ? biases : weights).params.emplace_back(name, p);
  }
  return {weights, biases};
}

double StepLR::at(int64_t step) const {
  double lr = base_lr;
  for (int64_t m : milestones)
    if (step >= m) lr *= gamma;
  return lr;
}

double grad_norm(const std::vector<Tensor>& params) {
  NoGradGuard no_grad;
  Tensor total;  // summed where the gradients are: one copy to the host, not one per parameter
  for (const Tensor& p : params) {
    if (!p.grad().defined()) continue;
    const Tensor squares = sum(p.grad() * p.grad()).to(kFloat64);
    total = total.defined() ? total + squares : squares;
  }
  return total.defined() ? std::sqrt(total.item()) : 0;
}

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
  NoGradGuard no_grad;
  const double norm = grad_norm(params);
  if (norm > max_norm && norm > 0)
    for (const Tensor& p : params)
      if (p.grad().defined()) p.grad().copy_(p.grad() * (max_norm / norm));
  return norm;
}

}  // namespace rcnn::optim
