#include "detection/matcher.h"

#include <algorithm>

#include "autograd/grad_mode.h"
#include "ops/checks.h"
#include "ops/ops.h"

namespace rcnn {

Tensor match(const Tensor& iou, const MatcherOptions& o) {
  check_floating("match", iou);
  check(iou.dim() == 2, "match: iou must be (ground truth, candidates), got ", describe(iou));
  check(o.bg_iou <= o.fg_iou, "match: bg_iou ", o.bg_iou, " is above fg_iou ", o.fg_iou);
  NoGradGuard no_grad;
  const int64_t n = iou.size(1);
  if (iou.size(0) == 0) return full({n}, kBackground, {kInt64, iou.device()});
  if (n == 0) return zeros({0}, {kInt64, iou.device()});
  const Tensor best = max(iou, {0});        // (N): each candidate's highest IoU
  const Tensor best_truth = argmax(iou, 0);  // (N): with which ground truth
  const Tensor fg = ge(best, scalar_like(best, o.fg_iou)), bg = lt(best, scalar_like(best, o.bg_iou));
  Tensor keep = fg;
  if (o.match_best_of_each_truth) {
    // Candidates at their ground truth's highest IoU (> 0: a box nothing overlaps stays background).
    const Tensor truth_best = max(iou, {1}, /*keepdim=*/true);  // (G, 1)
    const Tensor is_best = eq(iou, truth_best) * gt(truth_best, scalar_like(truth_best, 0));
    keep = gt(fg + max(is_best, {0}), scalar_like(fg, 0));
  }
  const Tensor k = keep.to(kInt64);
  const Tensor unmatched = where(bg, full({}, kBackground, {kInt64, iou.device()}), full({}, kIgnored, {kInt64, iou.device()}));
  return where(k, best_truth, unmatched);
}

BalancedSample sample_balanced(const Tensor& matches, int64_t batch_size, double positive_fraction, Generator& gen) {
  check_index("sample_balanced", matches);
  check(batch_size >= 0 && positive_fraction >= 0 && positive_fraction <= 1, "sample_balanced: batch_size ",
        batch_size, " and positive_fraction ", positive_fraction, " must be >= 0 and in [0, 1]");
  const Tensor is_positive = ge(matches, scalar_like(matches, 0)), is_negative = eq(matches, scalar_like(matches, kBackground));
  // Both counts in one read (on a GPU, one wait instead of two).
  const std::vector<int64_t> counts = stack({sum(is_positive), sum(is_negative)}, 0).to(kInt64).cpu().to_vector<int64_t>();
  const Tensor positive = nonzero(is_positive, counts[0]), negative = nonzero(is_negative, counts[1]);
  const int64_t n_pos = std::min(positive.numel(), static_cast<int64_t>(batch_size * positive_fraction));
  const int64_t n_neg = std::min(negative.numel(), batch_size - n_pos);
  auto draw = [&](const Tensor& from, int64_t k) {
    const Tensor order = randperm(from.numel(), gen, from.device());
    return index_select_in_range(from, 0, narrow(order, 0, 0, k));
  };
  BalancedSample s;
  s.positive = draw(positive, n_pos);
  s.negative = draw(negative, n_neg);
  return s;
}

}  // namespace rcnn
