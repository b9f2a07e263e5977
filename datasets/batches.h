#pragma once
// Mini-batches of a data set's indices: shuffled from a seeded generator (so an epoch's order is
// reproducible), the last batch possibly smaller.
#include <vector>

#include "core/rng.h"

namespace rcnn {

// 0..size-1, shuffled (Fisher-Yates with our generator: std::shuffle's algorithm differs between
// standard libraries) or in order.
std::vector<int64_t> epoch_order(int64_t size, bool shuffle, Generator& gen);

std::vector<std::vector<int64_t>> epoch_batches(int64_t size, int64_t batch_size, bool shuffle, Generator& gen);

}  // namespace rcnn
