#pragma once
// Wall-clock timing for benchmarks and tutorials: the median of repeated calls, which shrugs off the
// outliers of a shared, noisy machine better than the mean.
#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

namespace rcnn {

// The middle value (the upper one of an even count), 0 for none.
inline double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2];
}

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
  return median(std::move(t));
}

}  // namespace rcnn
