// The backward engine and the autograd half of Tensor. Backward visits the graph in topological
// order found iteratively (no recursion, deterministic), runs each node's backward function once,
// sums the gradients reaching each node, and accumulates into the leaves' .grad, telling the caller
// (when asked) as each leaf's gradient is complete.
#include <unordered_map>

#include "autograd/node.h"
#include "core/kernels.h"

namespace rcnn {

namespace {

// a + b into a new tensor (same shape, dtype, device); the engine's only arithmetic.
Tensor add_same_shape(const Tensor& a, const Tensor& b) {
  Tensor out = Tensor::empty(a.shape(), a.options());
  RCNN_KERNEL(a.device(), binary, BinaryOp::Add, a, b, out);
  return out;
}

void check_grad_matches(const Tensor& grad, const Shape& shape, DType dtype, Device device, const char* what) {
  check(grad.shape() == shape && grad.dtype() == dtype && grad.device() == device, "backward: ", what,
        " received a gradient of shape ", shape_str(grad.shape()), " ", dtype_name(grad.dtype()), " on ",
        grad.device().str(), " for a tensor of shape ", shape_str(shape), " ", dtype_name(dtype), " on ",
        device.str());
}

// A leaf's .grad never shares memory with anything (an optimizer or clipping may change it in place): a
// gradient that only the caller holds, storage included, is kept as it is; any other is copied (an op may
// hand the same tensor to two inputs, or a view of one of its own). Keeping it saves a copy of the
// largest gradients, fc6's 25 MB in the TinyNet detector, at every step.
// A second gradient (a step accumulating several images) is added in place where nobody else holds the
// leaf's .grad: fc6's 256 MiB with MobileNetV2 are not allocated again for each image.
void accumulate_into_leaf(TensorImpl& leaf, const Tensor& grad, bool only_holder) {
  check_grad_matches(grad, leaf.shape, leaf.dtype, leaf.storage->device(), "a leaf");
  if (leaf.grad && leaf.grad.use_count() == 1 && leaf.grad->storage.use_count() == 1) {
    const Tensor sum(leaf.grad);
    RCNN_KERNEL(sum.device(), binary, BinaryOp::Add, sum, grad, sum);
    return;
  }
  const bool unshared = only_holder && grad.impl_ptr().use_count() == 1 && grad.impl_ptr()->storage.use_count() == 1;
  Tensor sum = leaf.grad ? add_same_shape(Tensor(leaf.grad), grad) : unshared ? grad : grad.clone();
  leaf.grad = sum.impl_ptr();
}

void run_backward(const Tensor& output, const Tensor& gradient, bool retain_graph,
                  const std::function<void(Tensor& leaf)>& leaf_done) {
  check(output.requires_grad(), "backward: the tensor ", shape_str(output.shape()),
        " does not require grad (no input of the computation had requires_grad set)");
  Tensor seed = gradient;
  if (!seed.defined()) {
    check(output.numel() == 1, "backward: a gradient can only be implied for a single-element output; this one has shape ",
          shape_str(output.shape()), ", so pass backward(gradient)");
    seed = ones(output.shape(), output.options());
  }
  check_grad_matches(seed, output.shape(), output.dtype(), output.device(), "the output");
  NoGradGuard no_grad;
  if (!output.grad_fn()) {
    accumulate_into_leaf(output.impl(), seed, false);
    Tensor leaf = output;
    if (leaf_done) leaf_done(leaf);
    return;
  }

  // Count, for every node and leaf reachable from the output, how many edges lead into it.
  std::unordered_map<Node*, int> pending_uses;
  std::unordered_map<TensorImpl*, int> pending_leaf_uses;
  std::vector<Node*> stack{output.grad_fn().get()};
  pending_uses[output.grad_fn().get()] = 0;
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const Edge& e : n->inputs) {
      if (e.leaf && leaf_done) ++pending_leaf_uses[e.leaf.get()];  // only a caller who asked needs them
      if (!e.node) continue;
      auto [it, first_visit] = pending_uses.try_emplace(e.node.get(), 0);
      ++it->second;
      if (first_visit) stack.push_back(e.node.get());
    }
  }

  // Run nodes once all their consumers have passed their gradient on (Kahn's algorithm).
  std::unordered_map<Node*, Tensor> grads{{output.grad_fn().get(), seed}};
  std::vector<Node*> ready{output.grad_fn().get()};
  while (!ready.empty()) {
    Node* n = ready.back();
    ready.pop_back();
    check(static_cast<bool>(n->backward), "backward: the graph through '", n->name,
          "' was already freed by an earlier backward(); call backward(gradient, /*retain_graph=*/true) "
          "the first time to go through it twice");
    Tensor g = std::move(grads[n]);
    grads.erase(n);
    std::vector<Tensor> input_grads = n->backward(g);
    if (!retain_graph) n->backward = nullptr;  // frees what the op saved
    check(input_grads.size() == n->inputs.size(), "backward: '", n->name, "' returned ", input_grads.size(),
          " gradients for ", n->inputs.size(), " inputs");
    for (size_t i = 0; i < n->inputs.size(); ++i) {
      const Edge& e = n->inputs[i];
      const Tensor& gi = input_grads[i];
      if (e.node) {
        if (gi.defined()) {
          auto [it, fresh] = grads.try_emplace(e.node.get(), gi);
          if (!fresh) it->second = add_same_shape(it->second, gi);
        }
        if (--pending_uses[e.node.get()] == 0) ready.push_back(e.node.get());
      } else if (e.leaf) {
        if (gi.defined()) accumulate_into_leaf(*e.leaf, gi, true);
        input_grads[i] = Tensor();  // the leaf holds it now, and leaf_done may drop it
        if (leaf_done && --pending_leaf_uses[e.leaf.get()] == 0) {
          Tensor leaf(e.leaf);
          leaf_done(leaf);
        }
      }
    }
  }
}

}  // namespace

void Tensor::backward(const Tensor& gradient, bool retain_graph) const { run_backward(*this, gradient, retain_graph, {}); }

void Tensor::backward(const std::function<void(Tensor& leaf)>& leaf_done) const {
  run_backward(*this, Tensor(), false, leaf_done);
}

Tensor& Tensor::requires_grad_(bool on) {
  check(!on || is_floating(dtype()), "requires_grad_: ", dtype_name(dtype()), " tensors cannot require grad");
  check(is_leaf(), "requires_grad_: only leaf tensors can change requires_grad; use detach() first");
  impl().requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const { return Tensor(impl().grad); }

void Tensor::set_grad(const Tensor& g) {
  if (g.defined()) check_grad_matches(g, shape(), dtype(), device(), "set_grad");
  impl().grad = g.impl_ptr();
}

void Tensor::zero_grad() { impl().grad.reset(); }

Tensor Tensor::detach() const { return view_as_shape(shape()); }

}  // namespace rcnn
