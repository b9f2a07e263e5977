#pragma once
// Module: a piece of a network that owns named parameters and child modules, like torch::nn::Module;
// Layer: a Module with forward(x).
// Names are hierarchical ("rpn.conv.weight"), so a whole model's weights can be saved, loaded and
// matched against another framework's by name.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace rcnn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;

  NamedTensors named_parameters() const;  // own and children's, depth first, in registration order
  std::vector<Tensor> parameters() const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }

  virtual void train(bool on = true);  // also for every child
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Frozen parameters get no gradient (e.g. VGG16's conv1-conv2, as in the paper).
  void freeze();
  // Moves every parameter to `device` in place: tensors held elsewhere see the move.
  void to(Device device);
  // Converts every floating parameter to `dtype` in place (float64: checking a model against a
  // float64 reference, as tests/test_fpn.cpp does).
  void to(DType dtype);

  // Copies values into this module's parameters by name. Every mismatch (missing, unexpected, wrong
  // shape or dtype) is collected into one error message; strict = false tolerates unexpected names.
  void load_parameters(const NamedTensors& values, bool strict = true);

 protected:
  Tensor& register_parameter(const std::string& name, Tensor value);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    children_.emplace_back(name, module);
    return module;
  }

 private:
  void collect(const std::string& prefix, NamedTensors& out) const;
  NamedTensors parameters_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

// A module with one tensor in and one out: the layers, Sequential and backbones. Models with other
// entry points (a detector's losses(...) and detect(...)) are Modules with named functions instead,
// never a forward whose meaning changes with train/eval mode.
class Layer : public Module {
 public:
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }
};

}  // namespace rcnn
