#pragma once
// Matching anchors (or proposals) to ground truth by IoU, and sampling a balanced batch of them: the
// target creators of Faster R-CNN (section 3.1.2) as functions testable alone, kept apart as in
// torchvision's Matcher and BalancedPositiveNegativeSampler.
#include "core/rng.h"
#include "core/tensor.h"

namespace rcnn {

constexpr int64_t kBackground = -1;  // a match: no object
constexpr int64_t kIgnored = -2;     // a match: neither (between the thresholds), left out of the loss

struct MatcherOptions {
  double fg_iou = 0.7;  // IoU >= fg_iou: matched to its best ground truth
  double bg_iou = 0.3;  // IoU < bg_iou: background; in between: ignored
  // The paper's rule for a ground truth no candidate reaches fg_iou with: the candidates of its highest
  // IoU (ties included) are matched anyway, so every object has a positive (the seed article's
  // fallback). torchvision calls these low-quality matches.
  bool match_best_of_each_truth = true;
};

// iou (G, N): ground truth x candidates -> int64 (N): the index of the matched ground truth, or
// kBackground, or kIgnored. No ground truth: everything is background.
Tensor match(const Tensor& iou, const MatcherOptions& options);

struct BalancedSample {
  Tensor positive, negative;  // int64 indices of the chosen candidates
};

// At most batch_size candidates, at most positive_fraction of them positive (matches >= 0), the rest
// negative (kBackground), each drawn without replacement from `gen`; fewer when there are fewer.
BalancedSample sample_balanced(const Tensor& matches, int64_t batch_size, double positive_fraction, Generator& gen);

}  // namespace rcnn
