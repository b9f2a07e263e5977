#include "layers/init.h"

#include <cmath>

#include "ops/elementwise.h"

namespace rcnn {

namespace {
// A weight (out, in, ...) feeds each output from in * (receptive field) inputs.
int64_t fan_in(const Tensor& t) { return t.dim() < 2 ? t.numel() : t.numel() / t.size(0); }
int64_t fan_out(const Tensor& t) { return t.dim() < 2 ? t.numel() : t.numel() / t.size(1); }
}  // namespace

void normal_(const Tensor& t, double std, Generator& gen, double mean) {
  t.copy_(randn(t.shape(), gen, t.dtype()) * std + mean);
}

void uniform_(const Tensor& t, double lo, double hi, Generator& gen) {
  t.copy_(rand(t.shape(), gen, t.dtype()) * (hi - lo) + lo);
}

void zeros_(const Tensor& t) { t.copy_(zeros(t.shape(), t.dtype())); }

void kaiming_normal_(const Tensor& t, Generator& gen) { normal_(t, std::sqrt(2.0 / fan_in(t)), gen); }

void xavier_uniform_(const Tensor& t, Generator& gen) {
  const double a = std::sqrt(6.0 / (fan_in(t) + fan_out(t)));
  uniform_(t, -a, a, gen);
}

}  // namespace rcnn
