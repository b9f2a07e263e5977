#pragma once
// Mini-batches of a data set's indices: shuffled from a seeded generator (so an epoch's order is
// reproducible), the last batch possibly smaller.
#include <vector>

#include "core/rng.h"

namespace rcnn::datasets {

std::vector<std::vector<int64_t>> epoch_batches(int64_t size, int64_t batch_size, bool shuffle, Generator& gen);

}  // namespace rcnn::datasets
