// CPU reductions along one dim of an (outer, n, inner) slab.
#include "core/kernels.h"
#include "core/kernels/parallel.h"
#include "core/scalar_ops.h"

namespace rcnn::cpu {

void sum_dim(const Tensor& x, Slab s, const Tensor& out) {
  RCNN_DISPATCH(x.dtype(), T, {
    const T* in = x.data<T>();
    T* o = out.data<T>();
    // Accumulate in double (or int64): a float sum over many elements would lose digits.
    using Acc = std::conditional_t<std::is_same_v<T, int64_t>, int64_t, double>;
    if (s.outer == 1 && s.n * s.inner > kGrain) {
      // One long reduction (a loss, a gradient norm): fixed blocks of rows summed in parallel, then
      // the blocks' sums added in order, so the result does not depend on the number of threads.
      const int64_t rows = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, s.inner));
      const int64_t blocks = (s.n + rows - 1) / rows;
      std::vector<Acc> partial(blocks * s.inner, Acc(0));
      parallel_for(
          blocks,
          [&](int64_t bb, int64_t be) {
            for (int64_t b = bb; b < be; ++b) {
              Acc* acc = partial.data() + b * s.inner;
              for (int64_t j = b * rows; j < std::min(s.n, (b + 1) * rows); ++j)
                for (int64_t i = 0; i < s.inner; ++i) acc[i] += in[j * s.inner + i];
            }
          },
          1);
      for (int64_t i = 0; i < s.inner; ++i) {
        Acc total = 0;
        for (int64_t b = 0; b < blocks; ++b) total += partial[b * s.inner + i];
        o[i] = static_cast<T>(total);
      }
      return;
    }
    parallel_for(
        s.outer, [&](int64_t ob, int64_t oe) {
          std::vector<Acc> acc(s.inner);
          for (int64_t o_ = ob; o_ < oe; ++o_) {
            std::fill(acc.begin(), acc.end(), Acc(0));
            const T* base = in + o_ * s.n * s.inner;
            for (int64_t j = 0; j < s.n; ++j)
              for (int64_t i = 0; i < s.inner; ++i) acc[i] += base[j * s.inner + i];
            for (int64_t i = 0; i < s.inner; ++i) o[o_ * s.inner + i] = static_cast<T>(acc[i]);
          }
        },
        std::max<int64_t>(1, kGrain / std::max<int64_t>(1, s.n * s.inner)));
  });
}

void argmax_dim(const Tensor& x, Slab s, const Tensor& out) {
  RCNN_DISPATCH(x.dtype(), T, {
    const T* in = x.data<T>();
    int64_t* o = out.data<int64_t>();
    parallel_for(
        s.outer * s.inner,
        [&](int64_t b, int64_t e) {
          for (int64_t r = b; r < e; ++r) {
            const T* base = in + (r / s.inner) * s.n * s.inner + r % s.inner;
            int64_t best = 0;
            for (int64_t j = 1; j < s.n; ++j)
              if (ranks_above(base[j * s.inner], base[best * s.inner])) best = j;
            o[r] = best;
          }
        },
        std::max<int64_t>(1, kGrain / std::max<int64_t>(1, s.n)));
  });
}

}  // namespace rcnn::cpu
