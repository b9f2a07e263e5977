// Losses composed from primitive ops: each is a handful of elementwise ops and one reduction, small
// next to the convolutions, so they need no fused kernel or hand-written backward.
#include "layers/losses.h"

#include <algorithm>
#include <limits>

#include "layers/functional.h"
#include "ops/checks.h"
#include "ops/ops.h"

namespace rcnn {

Tensor cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& class_weight) {
  check_floating("cross_entropy", logits);
  check_index("cross_entropy", target);
  check(logits.dim() == 2 && target.dim() == 1 && target.size(0) == logits.size(0), "cross_entropy: logits ",
        describe(logits), " must be (N, C) and target ", describe(target), " (N)");
  check(target.device() == logits.device(), "cross_entropy: logits and target are on different devices");
  const int64_t C = logits.size(1);
  if (values_checked(target))
    for (int64_t t : target.to_vector<int64_t>())
      check(t == kIgnoreLabel || (t >= 0 && t < C), "cross_entropy: target ", t, " is not a class in [0, ", C,
            ") nor the ignore label ", kIgnoreLabel);
  Tensor counted = ne(target, scalar_like(target, kIgnoreLabel));  // int64 1/0
  Tensor safe_target = target * counted;                           // ignored -> class 0, weight 0 below
  Tensor weight = counted.to(logits.dtype());
  if (class_weight.defined()) {
    check_same_kind("cross_entropy", logits, class_weight);
    check(class_weight.shape() == Shape{C}, "cross_entropy: class_weight ", describe(class_weight), " must be (", C, ",)");
    weight = weight * index_select_in_range(class_weight, 0, safe_target);
  }
  // The targets were checked above, once: the gathers need not copy them to the host again.
  Tensor picked = squeeze(gather_in_range(log_softmax(logits, 1), 1, unsqueeze(safe_target, 1)), 1);  // log p[t_i]
  Tensor total = sum(weight);
  return -sum(picked * weight) / clamp(total, 1e-12, std::numeric_limits<double>::infinity());
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target) {
  check_same_kind("binary_cross_entropy_with_logits", logits, target);
  check_floating("binary_cross_entropy_with_logits", logits);
  check(logits.shape() == target.shape(), "binary_cross_entropy_with_logits: logits ", describe(logits),
        " and target ", describe(target), " differ in shape");
  // max(x, 0) + log(1 + exp(-|x|)) has the same values, but at x = 0 the subgradients of max and |x|
  // are both 0, so its gradient would be -z instead of 1/2 - z: a zero-initialised layer sits there.
  Tensor m = relu(logits).detach();
  Tensor softplus = m + log(exp(-m) + exp(logits - m));
  return sum(softplus - logits * target) / static_cast<double>(std::max<int64_t>(1, logits.numel()));
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, double sigma, const Tensor& weights,
                      double normalizer) {
  check_same_kind("smooth_l1_loss", input, target);
  check_floating("smooth_l1_loss", input);
  check(input.shape() == target.shape(), "smooth_l1_loss: input ", describe(input), " and target ", describe(target),
        " differ in shape");
  check(sigma > 0 && normalizer > 0, "smooth_l1_loss: sigma ", sigma, " and normalizer ", normalizer,
        " must be positive");
  const double s2 = sigma * sigma;
  Tensor d = input - target;
  Tensor ad = abs(d);
  Tensor per_element = where(lt(ad, scalar_like(ad, 1.0 / s2)), d * d * (0.5 * s2), ad - 0.5 / s2);
  if (weights.defined()) {
    check_same_kind("smooth_l1_loss", input, weights);
    per_element = per_element * weights;
  }
  return sum(per_element) / normalizer;
}

}  // namespace rcnn
