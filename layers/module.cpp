#include "layers/module.h"

#include <map>


namespace rcnn {

Tensor& Module::register_parameter(const std::string& name, Tensor value) {
  for (const auto& [n, t] : parameters_) check(n != name, "register_parameter: '", name, "' registered twice");
  if (!value.requires_grad()) value.requires_grad_();
  parameters_.emplace_back(name, value);
  return parameters_.back().second;
}

void Module::collect(const std::string& prefix, NamedTensors& out) const {
  for (const auto& [name, t] : parameters_) out.emplace_back(prefix + name, t);
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters()) out.push_back(t);
  return out;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::freeze() {
  for (auto& [name, t] : named_parameters()) t.requires_grad_(false);
}

void Module::to(Device device) {
  for (auto& [name, t] : named_parameters()) {
    if (t.device() == device) continue;
    Tensor moved = t.detach().to(device);
    t.impl().storage = moved.impl().storage;
    t.zero_grad();
  }
}

void Module::to(DType dtype) {
  for (auto& [name, t] : named_parameters()) {
    if (t.dtype() == dtype) continue;
    Tensor converted = t.detach().to(dtype);
    t.impl().storage = converted.impl().storage;
    t.impl().dtype = dtype;
    t.zero_grad();
  }
}

void Module::load_parameters(const NamedTensors& values, bool strict) {
  std::map<std::string, const Tensor*> given;
  for (const auto& [name, t] : values) given[name] = &t;
  // Check everything first, so a failed load leaves the model as it was.
  std::string problems;
  std::vector<std::pair<Tensor, const Tensor*>> copies;
  for (auto& [name, param] : named_parameters()) {
    auto it = given.find(name);
    if (it == given.end()) {
      problems += "\n  missing: " + name + " " + shape_str(param.shape());
      continue;
    }
    const Tensor& v = *it->second;
    if (v.shape() != param.shape() || v.dtype() != param.dtype())
      problems += "\n  " + name + ": expected " + shape_str(param.shape()) + " " + dtype_name(param.dtype()) +
                  ", got " + shape_str(v.shape()) + " " + dtype_name(v.dtype());
    copies.emplace_back(param, &v);
    given.erase(it);
  }
  if (strict)
    for (const auto& [name, t] : given) problems += "\n  unexpected: " + name + " " + shape_str(t->shape());
  check(problems.empty(), "load_parameters: the weights do not match the model:", problems);
  for (auto& [param, value] : copies) param.copy_(*value);
}

}  // namespace rcnn
