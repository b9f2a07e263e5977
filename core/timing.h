#pragma once
// Wall-clock timing for benchmarks and tutorials: the median of repeated calls, which shrugs off the
// outliers of a shared, noisy machine better than the mean.
#include <algorithm>
#include <chrono>
#include <vector>

namespace rcnn {

// Milliseconds: the median of `reps` timed calls of f, after `warmup` untimed ones.
template <class F>
double median_ms(F&& f, int reps, int warmup = 2) {
  for (int i = 0; i < warmup; ++i) f();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t.empty() ? 0 : t[t.size() / 2];
}

}  // namespace rcnn
