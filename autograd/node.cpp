#include "autograd/node.h"

namespace rcnn {

namespace {
thread_local bool grad_enabled = true;
}
bool GradMode::enabled() { return grad_enabled; }
void GradMode::set_enabled(bool on) { grad_enabled = on; }

Node::~Node() {
  // Take over every input node that only this node keeps alive, and free those one by one from a
  // local stack instead of letting each destructor call the next.
  std::vector<std::shared_ptr<Node>> pending;
  auto adopt = [&](Node& n) {
    for (Edge& e : n.inputs)
      if (e.node && e.node.use_count() == 1) pending.push_back(std::move(e.node));
  };
  adopt(*this);
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    adopt(*n);
  }
}

bool should_record(std::initializer_list<const Tensor*> inputs) {
  if (!GradMode::enabled()) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

void record(const char* name, const std::vector<Tensor>& inputs, Tensor& out, Node::Backward backward) {
  std::vector<Edge> edges(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    if (!t.defined() || !t.requires_grad()) continue;
    if (t.grad_fn())
      edges[i].node = t.grad_fn();
    else
      edges[i].leaf = t.impl_ptr();
  }
  out.impl().grad_fn = std::make_shared<Node>(name, std::move(edges), std::move(backward));
  out.impl().requires_grad = true;
}

}  // namespace rcnn
