#pragma once
// CPU parallel loops. OpenMP splits large loops across cores; small ones run on the calling thread,
// where starting threads would cost more than the work.
#include <cstdint>

namespace rcnn::cpu {

constexpr int64_t kGrain = 32768;  // elements below which a loop stays serial

// Calls body(begin, end) over [0, n) in chunks, in parallel when n is large.
template <class F>
void parallel_for(int64_t n, F&& body, int64_t grain = kGrain) {
  if (n <= grain) {
    if (n > 0) body(int64_t{0}, n);
    return;
  }
  int64_t chunks = (n + grain - 1) / grain;
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    int64_t begin = c * grain;
    body(begin, begin + grain < n ? begin + grain : n);
  }
}

}  // namespace rcnn::cpu
