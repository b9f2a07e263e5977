#include "datasets/batches.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace rcnn {

std::vector<int64_t> epoch_order(int64_t size, bool shuffle, Generator& gen) {
  std::vector<int64_t> order(size);
  std::iota(order.begin(), order.end(), int64_t{0});
  if (shuffle)
    for (int64_t i = size - 1; i > 0; --i) std::swap(order[i], order[gen.below(i + 1)]);
  return order;
}

std::vector<std::vector<int64_t>> epoch_batches(int64_t size, int64_t batch_size, bool shuffle, Generator& gen) {
  check(size >= 0 && batch_size > 0, "epoch_batches: size ", size, ", batch size ", batch_size);
  const std::vector<int64_t> order = epoch_order(size, shuffle, gen);
  std::vector<std::vector<int64_t>> batches;
  for (int64_t start = 0; start < size; start += batch_size)
    batches.emplace_back(order.begin() + start, order.begin() + std::min(size, start + batch_size));
  return batches;
}

}  // namespace rcnn
