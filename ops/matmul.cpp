// matmul: C = A B, dA = dC B^T, dB = A^T dC (summed over the batch where an operand was shared).
// The transposes are flags to the GEMM, never copies.
#include "ops/matmul.h"

#include "autograd/node.h"
#include "core/kernels.h"
#include "ops/checks.h"
#include "ops/reduce.h"

namespace rcnn {

static int64_t rows(const Tensor& t, bool trans) { return t.shape()[t.dim() - (trans ? 1 : 2)]; }
static int64_t cols(const Tensor& t, bool trans) { return t.shape()[t.dim() - (trans ? 2 : 1)]; }
static int64_t batch(const Tensor& t) { return t.dim() == 3 ? t.shape()[0] : 1; }

// op(a) @ op(b) for 2-D/3-D operands; shapes already checked.
static Tensor gemm(const Tensor& a, bool ta, const Tensor& b, bool tb) {
  const int64_t B = batch(a) == 1 ? batch(b) : batch(a);  // broadcast: a batch of 1 is shared (0 stays 0)
  Shape shape{rows(a, ta), cols(b, tb)};
  if (a.dim() == 3 || b.dim() == 3) shape.insert(shape.begin(), B);
  Tensor out = Tensor::empty(shape, a.options());
  if (out.numel() == 0) return out;
  if (cols(a, ta) == 0) return zeros(shape, a.options());
  RCNN_KERNEL(a.device(), matmul, a, ta, b, tb, out);
  return out;
}

// C = op(A) op(B). With dC the output's gradient:
//   dA = dC op(B)^T        (or, when A was transposed, op(B) dC^T)
//   dB = op(A)^T dC        (or, when B was transposed, dC^T op(A))
// each summed over the batch where the operand was shared.
Tensor matmul(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  check_same_kind("matmul", a, b);
  check_floating("matmul", a);
  auto fail = [&] { return concat_message("matmul: cannot multiply ", describe(a), ta ? "^T" : "", " by ", describe(b), tb ? "^T" : ""); };
  check((a.dim() == 2 || a.dim() == 3) && (b.dim() == 2 || b.dim() == 3), fail(), " (2-D or 3-D operands only)");
  check(cols(a, ta) == rows(b, tb), fail(), " (inner sizes differ)");
  check(batch(a) == batch(b) || batch(a) == 1 || batch(b) == 1, fail(), " (batch sizes differ)");
  Tensor out = gemm(a, ta, b, tb);
  if (should_record({&a, &b}))
    record("matmul", {a, b}, out,
           [a = saved_if(b.requires_grad(), a), b = saved_if(a.requires_grad(), b), a_shape = a.shape(),
            b_shape = b.shape(), ta, tb](const Tensor& g) -> std::vector<Tensor> {
             Tensor ga, gb;  // only the GEMMs whose result is needed
             if (b.defined()) ga = sum_to(ta ? gemm(b, tb, g, true) : gemm(g, false, b, !tb), a_shape);
             if (a.defined()) gb = sum_to(tb ? gemm(g, true, a, ta) : gemm(a, !ta, g, false), b_shape);
             return {ga, gb};
           });
  return out;
}

Tensor matmul(const Tensor& a, const Tensor& b) { return matmul(a, b, false, false); }

}  // namespace rcnn
