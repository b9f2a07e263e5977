#pragma once
// The layer functions that are compositions of primitive ops (so their gradients come from the ops):
// linear, dropout, softmax, log_softmax.
#include "core/rng.h"
#include "core/tensor.h"

namespace rcnn {

// x: (N, in), weight: (out, in) as in PyTorch, bias: (out) or undefined -> x weight^T + bias.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = {});
// Training: zeroes each element with probability p and scales the rest by 1 / (1 - p), so the
// expected value is unchanged; evaluation (training = false): the identity.
Tensor dropout(const Tensor& x, double p, bool training, Generator& gen);
// exp(x) / sum(exp(x)) along dim, computed as exp(x - max) / sum(exp(x - max)) so exp never overflows.
Tensor softmax(const Tensor& x, int64_t dim);
// x - logsumexp(x) along dim, with the same max shift.
Tensor log_softmax(const Tensor& x, int64_t dim);

}  // namespace rcnn
