// The optimizer's update, fused: six tensor operations per parameter became one pass over memory.
#include "core/kernels.h"
#include "core/kernels/parallel.h"

namespace rcnn::cpu {

void sgd_update(const Tensor& param, const Tensor& grad, const Tensor& velocity, double lr, double momentum,
                double weight_decay, double grad_scale, bool first) {
  RCNN_DISPATCH(param.dtype(), T, {
    T* __restrict__ p = param.data<T>();
    const T* __restrict__ g = grad.data<T>();
    T* __restrict__ v = velocity.data<T>();
    // first: momentum 0 on a zeroed buffer is the same step, in one vectorisable loop.
    const T lr_ = static_cast<T>(lr), m = first ? T(0) : static_cast<T>(momentum), wd = static_cast<T>(weight_decay),
            scale = static_cast<T>(grad_scale);
    if (first) fill(velocity, 0);
    parallel_for(param.numel(), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const T d = g[i] * scale + p[i] * wd;
        v[i] = v[i] * m + d;
        p[i] = p[i] - v[i] * lr_;
      }
    });
  });
}

}  // namespace rcnn::cpu
