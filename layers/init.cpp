#include "layers/init.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "core/storage.h"
#include "ops/elementwise.h"

namespace rcnn {

namespace {
// A weight (out, in, ...) feeds each output from in * (receptive field) inputs.
int64_t fan_in(const Tensor& t) { return t.dim() < 2 ? t.numel() : t.numel() / t.size(0); }
int64_t fan_out(const Tensor& t) { return t.dim() < 2 ? t.numel() : t.numel() / t.size(1); }

// Fills t slice by slice with values(n), t's next n numbers made on the host: the numbers and the
// generator's order are those of one full-size draw, but without its full-size temporaries (a random
// draw, its scaled and its shifted copy: three times the 245 MiB of a 64 M-weight fc6).
void fill_in_slices(const Tensor& t, const std::function<Tensor(int64_t n)>& values) {
  constexpr int64_t kSlice = int64_t(1) << 20;
  const size_t item = dtype_size(t.dtype());
  for (int64_t start = 0; start < t.numel(); start += kSlice) {
    const Tensor part = values(std::min(kSlice, t.numel() - start));
    copy_bytes(static_cast<char*>(t.raw()) + start * item, t.device(), part.raw(), part.device(), part.numel() * item);
  }
}
}  // namespace

void normal_(const Tensor& t, double std, Generator& gen, double mean) {
  fill_in_slices(t, [&](int64_t n) { return randn({n}, gen, t.dtype()) * std + mean; });
}

void uniform_(const Tensor& t, double lo, double hi, Generator& gen) {
  fill_in_slices(t, [&](int64_t n) { return rand({n}, gen, t.dtype()) * (hi - lo) + lo; });
}

void zeros_(const Tensor& t) { t.copy_(zeros(t.shape(), t.dtype())); }

void kaiming_normal_(const Tensor& t, Generator& gen, bool by_fan_out) {
  normal_(t, std::sqrt(2.0 / (by_fan_out ? fan_out(t) : fan_in(t))), gen);
}

void xavier_uniform_(const Tensor& t, Generator& gen) {
  const double a = std::sqrt(6.0 / (fan_in(t) + fan_out(t)));
  uniform_(t, -a, a, gen);
}

}  // namespace rcnn
