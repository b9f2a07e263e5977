#pragma once
// Initialisers: fill a parameter in place from a seeded generator (on any device).
#include "core/rng.h"
#include "core/tensor.h"

namespace rcnn {

void normal_(const Tensor& t, double std, Generator& gen, double mean = 0);
void uniform_(const Tensor& t, double lo, double hi, Generator& gen);
void zeros_(const Tensor& t);
// N(0, 2 / fan_in), for layers followed by ReLU (He et al. 2015, "Delving deep into rectifiers", eq. 10);
// with by_fan_out, N(0, 2 / fan_out): the backward pass's variance kept instead (eq. 14), torchvision's
// choice for ResNet, whose 1x1 expansions then start 4 times smaller.
void kaiming_normal_(const Tensor& t, Generator& gen, bool by_fan_out = false);
// U(-a, a), a = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010, eq. 16).
void xavier_uniform_(const Tensor& t, Generator& gen);

}  // namespace rcnn
