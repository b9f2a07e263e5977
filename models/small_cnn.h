#pragma once
// The small CNN that chapter 04 trains on Fashion-MNIST (and `make bench` times):
// (N, 1, 28, 28) -> conv 3x3 32 -> ReLU -> pool -> (N, 32, 14, 14) -> conv 3x3 64 -> ReLU -> pool
// -> (N, 64, 7, 7) -> flatten -> linear 3136 -> 10 class scores.
#include <memory>

#include "core/rng.h"
#include "layers/modules.h"

namespace rcnn::models {

std::shared_ptr<nn::Sequential> small_cnn(Generator& gen);

}  // namespace rcnn::models
