#pragma once
// Losses, numerically stable (log-sum-exp and softplus forms).
#include "core/tensor.h"

namespace rcnn {

constexpr int64_t kIgnoreLabel = -1;

// Softmax cross-entropy. logits: (N, C); target: int64 (N) in [0, C) or kIgnoreLabel (-1), which
// does not count. class_weight: (C) or undefined. Returns the weighted mean over counted targets,
// sum_i w[t_i] (-log softmax(x_i)[t_i]) / sum_i w[t_i], as PyTorch does; 0 when none counts (N = 0
// too; PyTorch gives NaN there), so a batch without a label adds nothing instead of poisoning the sum.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& class_weight = {});

// Binary cross-entropy on logits x with targets z in [0, 1], mean over elements (0 for no elements,
// like cross_entropy with nothing counted; PyTorch gives NaN): softplus(x) - x z, with
// softplus(x) = m + log(exp(-m) + exp(x - m)), m = max(x, 0) held constant: neither exp overflows,
// and the gradient is sigmoid(x) - z everywhere, 1/2 - z at x = 0 too.
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target);

// Smooth L1 as in Fast R-CNN (Girshick 2015, eq. 3) with py-faster-rcnn's sigma:
//   |d| < 1/sigma^2:  0.5 sigma^2 d^2,   else  |d| - 0.5 / sigma^2,   d = input - target,
// multiplied by `weights` (broadcast; e.g. 1 for foreground boxes, 0 elsewhere), summed, and divided
// by `normalizer` (the number of sampled anchors or RoIs: docs/defaults.md). weights may be undefined (all 1).
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, double sigma, const Tensor& weights = {},
                      double normalizer = 1.0);

}  // namespace rcnn
