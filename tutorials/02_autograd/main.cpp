// Chapter 02 — reverse-mode autograd. Builds the graph of a tiny function by hand,
// L = sum(relu(w * x + b)^2), runs backward, prints each node and each gradient, and checks the
// gradients by hand and against finite differences (gradcheck).
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <unordered_set>

#include "autograd/gradcheck.h"
#include "autograd/node.h"
#include "datasets/draw.h"
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

// "(a, b, c)" with 3 significant digits, -0 written 0.
static std::string values(const Tensor& t) {
  std::string s = "(";
  for (double v : t.to_vector<double>()) {
    char one[16];
    std::snprintf(one, sizeof one, "%.3g", v == 0 ? 0.0 : v);
    s += (s.size() > 1 ? ", " : "") + std::string(one);
  }
  return s + ")";
}

// The graph as a picture, in the spirit of micrograd's drawing: a box per value with its data and its
// gradient dL/d(value), the op that made it on the arrow. The gradient of an intermediate value is found
// by starting the computation there: the rest of the graph applied to a leaf copy of it, then backward.
static void draw_graph(const Tensor& w, const Tensor& x, const Tensor& b, const std::string& path) {
  using Stage = std::function<Tensor(const Tensor&)>;
  const std::vector<std::pair<std::string, Stage>> stages = {
      {"w * x", [&](const Tensor&) { return w.detach() * x; }},
      {"+ b", [&](const Tensor& t) { return t + b.detach(); }},
      {"relu", [](const Tensor& t) { return relu(t); }},
      {"square", [](const Tensor& t) { return t * t; }},
      {"sum = L", [](const Tensor& t) { return sum(t); }}};
  std::vector<Tensor> value(stages.size()), grad(stages.size());
  for (size_t k = 0; k < stages.size(); ++k) value[k] = stages[k].second(k ? value[k - 1] : Tensor());
  for (size_t k = 0; k < stages.size(); ++k) {
    Tensor start = value[k].detach().requires_grad_(), t = start;
    for (size_t j = k + 1; j < stages.size(); ++j) t = stages[j].second(t);
    t.backward(ones(t.shape(), kFloat64));
    grad[k] = start.grad();
  }
  const int box_w = 190, box_h = 46, gap = 40, top = 140;
  Image image(static_cast<int>(stages.size() + 1) * (box_w + gap) + 20, 300);
  auto box = [&](int x, int y, const std::string& title, const Tensor& v, const Tensor& g, Color c) {
    draw_rect(image, x, y, x + box_w, y + box_h, c, 2);
    draw_text(image, x + 6, y + 5, title, {0, 0, 0}, 1);
    draw_text(image, x + 6, y + 19, "data " + values(v), {0, 0, 0}, 1);
    draw_text(image, x + 6, y + 32, g.defined() ? "grad " + values(g) : "no grad (data)", {40, 110, 200}, 1);
  };
  // Leaves w, x, b on the left; w and x feed the first op, b the second.
  box(10, 20, "w (leaf)", w, w.grad(), palette(2));
  box(10, 140, "x (data)", x, Tensor(), {150, 150, 150});
  box(10, 230, "b (leaf)", b, b.grad(), palette(2));
  for (size_t k = 0; k < stages.size(); ++k) {
    const int x0 = static_cast<int>(k + 1) * (box_w + gap) + 10;
    box(x0, top, stages[k].first, value[k], grad[k], palette(0));
    const int from_x = x0 - gap, mid_y = top + box_h / 2;
    draw_line(image, from_x, mid_y, x0, mid_y, {0, 0, 0});
    draw_text(image, from_x + 2, mid_y - 12, stages[k].first.substr(0, 6), {90, 90, 90}, 1);
  }
  draw_line(image, 10 + box_w, 20 + box_h / 2, box_w + gap + 10, top + 10, {0, 0, 0});   // w -> w * x
  draw_line(image, 10 + box_w, 230 + box_h / 2, 2 * (box_w + gap) + 10, top + box_h, {0, 0, 0});  // b -> + b
  save_png(image, path);
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

  std::filesystem::create_directories("runs/02_autograd");
  draw_graph(w, x, b, "runs/02_autograd/graph.png");
  std::cout << "wrote runs/02_autograd/graph.png (each value with its data and its gradient)\n";

  GradcheckResult check = gradcheck(loss_fn, {w.detach().requires_grad_(), x, b.detach().requires_grad_()});
  std::cout << "gradcheck (finite differences): " << (check.ok ? "passed" : check.message) << "\n";
  return check.ok ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
