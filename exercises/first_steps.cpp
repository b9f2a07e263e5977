// A first exercise program: softplus(x) = log(1 + exp(x)) composed from existing ops, its gradient
// checked against finite differences (chapter 02). Change it: try tanh, then `make exercises`.
#include <cstdio>
#include <iostream>

#include "autograd/gradcheck.h"
#include "ops/ops.h"

using namespace rcnn;

static Tensor softplus(const Tensor& x) { return log(1.0 + exp(x)); }

int main() {
  const Tensor x = tensor({-2.0, 0.0, 3.0}, kFloat64).requires_grad_();
  std::cout << "softplus(x) = " << softplus(x) << "\n";
  const GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return softplus(in[0]); }, {x});
  std::printf("gradcheck: %s\n", r.ok ? "passed" : r.message.c_str());
  return r.ok ? 0 : 1;
}
