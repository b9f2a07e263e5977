// Elementwise ops: forward through the unary/binary/where kernels, backward right below each one,
// written with the same ops so it runs on whichever device the forward ran on.
#include "ops/elementwise.h"


#include "autograd/node.h"
#include "core/kernels.h"
#include "ops/checks.h"
#include "ops/reduce.h"

namespace rcnn {

using Grads = std::vector<Tensor>;

Tensor scalar_like(const Tensor& t, double value) { return scalar_tensor(value, t.options()); }

static Tensor binary_forward(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  check_same_kind(name, a, b);
  Tensor out = Tensor::empty(broadcast_shapes(a.shape(), b.shape(), name), a.options());
  RCNN_KERNEL(a.device(), binary, op, a, b, out);
  return out;
}

static Tensor unary_forward(UnaryOp op, const Tensor& x, double p = 0, double q = 0) {
  Tensor out = Tensor::empty(x.shape(), x.options());
  RCNN_KERNEL(x.device(), unary, op, x, out, p, q);
  return out;
}

// --- arithmetic: d(a+b) = (g, g), d(a-b) = (g, -g), d(ab) = (g b, g a), d(a/b) = (g/b, -g a/b^2) ---

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::Add, "add", a, b);
  if (should_record({&a, &b}))
    record("add", {a, b}, out, [sa = a.shape(), sb = b.shape()](const Tensor& g) -> Grads {
      return {sum_to(g, sa), sum_to(g, sb)};
    });
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::Sub, "sub", a, b);
  if (should_record({&a, &b}))
    record("sub", {a, b}, out, [sa = a.shape(), sb = b.shape()](const Tensor& g) -> Grads {
      return {sum_to(g, sa), sum_to(neg(g), sb)};
    });
  return out;
}

// Only the gradients an input needs are computed: x * mask (dropout, loss weights) pays for one.
Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::Mul, "mul", a, b);
  if (should_record({&a, &b}))
    record("mul", {a, b}, out,
           [a = saved_if(b.requires_grad(), a), b = saved_if(a.requires_grad(), b), a_shape = a.shape(),
            b_shape = b.shape()](const Tensor& g) -> Grads {
             return {b.defined() ? sum_to(g * b, a_shape) : Tensor(), a.defined() ? sum_to(g * a, b_shape) : Tensor()};
           });
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::Div, "div", a, b);
  if (should_record({&a, &b}))
    record("div", {a, b}, out,
           [a = saved_if(b.requires_grad(), a), b = b.detach(), a_shape = a.shape(), need_a = a.requires_grad()](
               const Tensor& g) -> Grads {
             Tensor ga = g / b;
             return {need_a ? sum_to(ga, a_shape) : Tensor(), a.defined() ? sum_to(neg(ga * a / b), b.shape()) : Tensor()};
           });
  return out;
}

// --- unary ops ---------------------------------------------------------------------------------

Tensor neg(const Tensor& x) {
  check_defined("neg", x);
  Tensor out = unary_forward(UnaryOp::Neg, x);
  if (should_record({&x})) record("neg", {x}, out, [](const Tensor& g) -> Grads { return {neg(g)}; });
  return out;
}

// d exp(x) = exp(x): reuse the output.
Tensor exp(const Tensor& x) {
  check_floating("exp", x);
  Tensor out = unary_forward(UnaryOp::Exp, x);
  if (should_record({&x}))
    record("exp", {x}, out, [y = out.detach()](const Tensor& g) -> Grads { return {g * y}; });
  return out;
}

Tensor log(const Tensor& x) {
  check_floating("log", x);
  Tensor out = unary_forward(UnaryOp::Log, x);
  if (should_record({&x})) record("log", {x}, out, [x = x.detach()](const Tensor& g) -> Grads { return {g / x}; });
  return out;
}

// d sqrt(x) = 1 / (2 sqrt(x))
Tensor sqrt(const Tensor& x) {
  check_floating("sqrt", x);
  Tensor out = unary_forward(UnaryOp::Sqrt, x);
  if (should_record({&x}))
    record("sqrt", {x}, out, [y = out.detach()](const Tensor& g) -> Grads { return {g / (y * 2.0)}; });
  return out;
}

// d x^p = p x^(p-1); for p = 0 the constant 1 has gradient 0 everywhere, also at x = 0 where
// 0 * 0^(-1) would give NaN.
Tensor pow(const Tensor& x, double p) {
  check_floating("pow", x);
  Tensor out = unary_forward(UnaryOp::Pow, x, p);
  if (should_record({&x}))
    record("pow", {x}, out, [x = x.detach(), p](const Tensor& g) -> Grads {
      return {p == 0 ? zeros(x.shape(), g.options()) : g * pow(x, p - 1) * p};
    });
  return out;
}

Tensor sign(const Tensor& x) {
  check_defined("sign", x);
  return unary_forward(UnaryOp::Sign, x);
}

Tensor floor(const Tensor& x) {
  check_defined("floor", x);
  return unary_forward(UnaryOp::Floor, x);
}

Tensor ceil(const Tensor& x) {
  check_defined("ceil", x);
  return unary_forward(UnaryOp::Ceil, x);
}

// d|x| = sign(x) (0 at 0, like PyTorch)
Tensor abs(const Tensor& x) {
  check_defined("abs", x);
  Tensor out = unary_forward(UnaryOp::Abs, x);
  if (should_record({&x}))
    record("abs", {x}, out, [x = x.detach()](const Tensor& g) -> Grads { return {g * sign(x)}; });
  return out;
}

// The gradient passes where lo <= x <= hi.
Tensor clamp(const Tensor& x, double lo, double hi) {
  check_defined("clamp", x);
  check(lo <= hi, "clamp: lower bound ", lo, " is above upper bound ", hi);
  Tensor out = unary_forward(UnaryOp::Clamp, x, lo, hi);
  if (should_record({&x}))
    record("clamp", {x}, out, [x = x.detach(), lo, hi](const Tensor& g) -> Grads {
      return {g * ge(x, scalar_like(x, lo)) * le(x, scalar_like(x, hi))};
    });
  return out;
}

// The gradient passes where x > 0, i.e. where the output y is not 0 (0 at 0, like PyTorch; a NaN
// passes as NaN and lets its gradient through, as in PyTorch): one where() kernel, not a comparison
// and a product.
Tensor relu(const Tensor& x) {
  check_defined("relu", x);
  Tensor out = unary_forward(UnaryOp::Relu, x);
  if (should_record({&x}))
    record("relu", {x}, out, [y = out.detach()](const Tensor& g) -> Grads { return {where(y, g, scalar_like(g, 0))}; });
  return out;
}

// clamp(x, 0, 6), but the gradient passes only where 0 < x < 6, as PyTorch's hardtanh (clamp lets it
// through at the bounds too). 0 < x < 6 exactly where 0 < y < 6, so backward keeps the output, which
// the next layer keeps anyway, rather than a second tensor of the same size.
Tensor relu6(const Tensor& x) {
  check_floating("relu6", x);
  Tensor out = unary_forward(UnaryOp::Clamp, x, 0, 6);
  if (should_record({&x}))
    record("relu6", {x}, out, [y = out.detach()](const Tensor& g) -> Grads {
      return {g * gt(y, scalar_like(y, 0)) * lt(y, scalar_like(y, 6))};
    });
  return out;
}

// d sigmoid(x) = y (1 - y)
Tensor sigmoid(const Tensor& x) {
  check_floating("sigmoid", x);
  Tensor out = unary_forward(UnaryOp::Sigmoid, x);
  if (should_record({&x}))
    record("sigmoid", {x}, out, [y = out.detach()](const Tensor& g) -> Grads { return {g * y * (1.0 - y)}; });
  return out;
}

// d max(a, b) = g where a > b (to a) or b > a (to b), g / 2 to each at a tie; min the same way round.
static Tensor extremum(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(op, name, a, b);
  if (should_record({&a, &b}))
    record(name, {a, b}, out, [a = a.detach(), b = b.detach(), op](const Tensor& g) -> Grads {
      Tensor a_wins = op == BinaryOp::Maximum ? gt(a, b) : lt(a, b);
      Tensor share_a = a_wins + eq(a, b) * 0.5;  // 1, 1/2 or 0
      return {sum_to(g * share_a, a.shape()), sum_to(g * (1.0 - share_a), b.shape())};
    });
  return out;
}

Tensor maximum(const Tensor& a, const Tensor& b) { return extremum(BinaryOp::Maximum, "maximum", a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return extremum(BinaryOp::Minimum, "minimum", a, b); }

// --- comparisons and where -----------------------------------------------------------------------

Tensor eq(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::Eq, "eq", a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::Ne, "ne", a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::Lt, "lt", a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::Le, "le", a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::Gt, "gt", a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::Ge, "ge", a, b); }

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_same_kind("where", a, b);
  check_defined("where", cond);
  check(cond.device() == a.device(), "where: condition ", describe(cond), " and values ", describe(a),
        " are on different devices");
  Shape shape = broadcast_shapes(cond.shape(), broadcast_shapes(a.shape(), b.shape(), "where"), "where");
  Tensor out = Tensor::empty(shape, a.options());
  RCNN_KERNEL(a.device(), where, cond, a, b, out);
  if (should_record({&a, &b}))
    record("where", {a, b}, out, [cond = cond.detach(), sa = a.shape(), sb = b.shape()](const Tensor& g) -> Grads {
      Tensor zero = scalar_like(g, 0);
      return {sum_to(where(cond, g, zero), sa), sum_to(where(cond, zero, g), sb)};
    });
  return out;
}

}  // namespace rcnn
