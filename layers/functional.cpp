#include "layers/functional.h"

#include "ops/checks.h"
#include "ops/ops.h"

namespace rcnn {

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check(x.defined() && x.dim() == 2, "linear: the input must be 2-D (N, in)", x.defined() ? ", got " + describe(x) : "");
  Tensor y = matmul(x, weight, false, true);
  return bias.defined() ? y + bias : y;
}

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  check_floating("dropout", x);
  check(p >= 0 && p < 1, "dropout: p = ", p, " must be in [0, 1)");
  if (!training || p == 0) return x;
  Tensor keep = ge(rand(x.shape(), gen, x.dtype()), full({}, p, x.dtype()));
  return x * (keep * (1.0 / (1.0 - p))).to(x.device());
}

// The max is a constant shift (softmax does not change when every input moves together), so it is
// detached: its gradient would cancel exactly. An empty x has no max and needs no shift: its softmax is
// the empty result PyTorch gives (and still differentiable).
static Tensor shifted(const Tensor& x, int64_t dim, const char* op) {
  normalize_dim(dim, x.dim(), op);
  return x.numel() == 0 ? x : x - max(x, {dim}, true).detach();
}

Tensor softmax(const Tensor& x, int64_t dim) {
  check_floating("softmax", x);
  Tensor e = exp(shifted(x, dim, "softmax"));
  return e / sum(e, {dim}, true);
}

Tensor log_softmax(const Tensor& x, int64_t dim) {
  check_floating("log_softmax", x);
  Tensor z = shifted(x, dim, "log_softmax");
  return z - log(sum(exp(z), {dim}, true));
}

}  // namespace rcnn
