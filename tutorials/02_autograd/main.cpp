// Chapter 02 — reverse-mode autograd. Builds the graph of a tiny function by hand,
// L = sum(relu(w * x + b)^2), runs backward, prints each node and each gradient, and checks the
// gradients by hand and against finite differences (gradcheck).
#include <iostream>
#include <unordered_set>

#include "autograd/gradcheck.h"
#include "autograd/node.h"
#include "ops/ops.h"

using namespace rcnn;

// Walks the recorded graph from the output and prints one line per node.
static void print_graph(const Tensor& out) {
  std::vector<std::pair<Node*, int>> stack{{out.grad_fn().get(), 0}};
  std::unordered_set<Node*> seen;
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    if (!seen.insert(node).second) continue;
    std::cout << std::string(2 * depth, ' ') << node->name << " <- ";
    for (const Edge& e : node->inputs)
      std::cout << (e.node ? e.node->name : e.leaf ? "leaf" : "constant") << "  ";
    std::cout << "\n";
    for (const Edge& e : node->inputs)
      if (e.node) stack.push_back({e.node.get(), depth + 1});
  }
}

static Tensor loss_fn(const std::vector<Tensor>& p) {  // p = {w, x, b}
  Tensor h = relu(p[0] * p[1] + p[2]);
  return sum(h * h);
}

int main() try {
  Tensor w = tensor({0.5, -1.0, 2.0}, kFloat64).requires_grad_();
  Tensor x = tensor({1.0, 2.0, -0.5}, kFloat64);  // data: no gradient wanted
  Tensor b = tensor({0.1, 0.1, 0.1}, kFloat64).requires_grad_();

  Tensor loss = loss_fn({w, x, b});
  std::cout << "L = " << loss.item() << "\n\nthe recorded graph (output first):\n";
  print_graph(loss);

  loss.backward();
  std::cout << "\ndL/dw = " << w.grad() << "\ndL/db = " << b.grad() << "\n";

  // By hand: z = w x + b = (0.6, -1.9, -0.9); h = relu(z) = (0.6, 0, 0);
  // dL/dz = 2 h * [z > 0] = (1.2, 0, 0); dL/dw = dL/dz * x = (1.2, 0, 0); dL/db = dL/dz.
  std::cout << "by hand: dL/dw = (1.2, 0, 0), dL/db = (1.2, 0, 0)\n";

  GradcheckResult check = gradcheck(loss_fn, {w.detach().requires_grad_(), x, b.detach().requires_grad_()});
  std::cout << "gradcheck (finite differences): " << (check.ok ? "passed" : check.message) << "\n";
  return check.ok ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
