// CUDA twin of core/kernels/optimizer.cpp: the fused SGD update.
#include "core/kernels.h"
#include "cuda/check.h"

namespace rcnn::cuda {

template <class T>
__global__ void sgd_update_kernel(T* p, const T* g, T* v, int64_t n, T lr, T momentum, T weight_decay, T grad_scale,
                                  bool first) {
  RCNN_GRID_STRIDE_LOOP(i, n) {
    const T d = g[i] * grad_scale + p[i] * weight_decay;
    v[i] = first ? d : v[i] * momentum + d;
    p[i] = p[i] - v[i] * lr;
  }
}

void sgd_update(const Tensor& param, const Tensor& grad, const Tensor& velocity, double lr, double momentum,
                double weight_decay, double grad_scale, bool first) {
  const int64_t n = param.numel();
  if (n == 0) return;
  RCNN_DISPATCH(param.dtype(), T, {
    sgd_update_kernel<<<blocks_for(n), kThreads>>>(param.data<T>(), grad.data<T>(), velocity.data<T>(), n,
                                                   static_cast<T>(lr), static_cast<T>(momentum),
                                                   static_cast<T>(weight_decay), static_cast<T>(grad_scale), first);
  });
  RCNN_CUDA_CHECK_LAUNCH();
}

}  // namespace rcnn::cuda
