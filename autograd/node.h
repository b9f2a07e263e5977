#pragma once
// A Node is one recorded op. It holds one edge per input (to the Node that produced that input, or
// to the leaf tensor that should receive its gradient) and a backward function that maps the
// gradient of the op's output to the gradients of its inputs. The backward function owns what the
// op saved for backward (always detached tensors), and is dropped after use unless the graph is
// retained. A node never holds its own output, so no reference cycle can form.
#include <functional>
#include <memory>
#include <vector>

#include "autograd/grad_mode.h"
#include "core/tensor.h"

namespace rcnn {

struct Node;

struct Edge {
  std::shared_ptr<Node> node;        // the op that produced the input, or
  std::shared_ptr<TensorImpl> leaf;  // the leaf that accumulates the input's gradient, or neither
};

struct Node {
  // grad of the output -> grads of the inputs, one per input (undefined where an input needs none).
  using Backward = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

  const char* name = "";
  std::vector<Edge> inputs;
  Backward backward;  // empty once a backward pass without retain_graph has used it

  Node(const char* n, std::vector<Edge> in, Backward fn)
      : name(n), inputs(std::move(in)), backward(std::move(fn)) {}
  ~Node();  // iterative, so a chain of 100 000 nodes does not overflow the stack
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
};

// True when grad mode is on and any input requires grad: only then is an op worth recording.
bool should_record(std::initializer_list<const Tensor*> inputs);
inline bool should_record(const std::vector<Tensor>& inputs) {
  if (!GradMode::enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

// What an op keeps for backward: the detached tensor when a gradient formula will read it, else
// nothing. An activation that no gradient needs is then freed after the forward pass (a frozen batch
// norm's x * scale keeps scale, not x), as PyTorch saves only what the needed gradients use.
inline Tensor saved_if(bool needed, const Tensor& t) { return needed ? t.detach() : Tensor(); }

// Makes `out` the recorded result of op `name` applied to `inputs`.
void record(const char* name, const std::vector<Tensor>& inputs, Tensor& out, Node::Backward backward);

}  // namespace rcnn
