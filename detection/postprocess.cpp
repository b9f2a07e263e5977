#include "detection/postprocess.h"

#include <algorithm>

#include "autograd/grad_mode.h"
#include "detection/nms.h"
#include "layers/functional.h"
#include "ops/checks.h"
#include "ops/ops.h"

namespace rcnn {

std::vector<Detection> postprocess(const RcnnHead::Outputs& out, const Tensor& rois, int64_t image_h, int64_t image_w,
                                   double scale, const std::string& image_id, const PostprocessOptions& o) {
  check_boxes("postprocess", rois);
  const int64_t S = rois.size(0), N = out.deltas.size(1) / 4;
  check(out.class_logits.dim() == 2 && out.class_logits.size(0) == S && out.class_logits.size(1) == N + 1 &&
            out.deltas.size(0) == S,
        "postprocess: class_logits ", describe(out.class_logits), " and deltas ", describe(out.deltas),
        " do not fit ", S, " RoIs");
  check(scale > 0 && o.max_per_image >= 0 && o.max_per_class >= 0, "postprocess: scale ", scale, ", max_per_image ",
        o.max_per_image, " and max_per_class ", o.max_per_class, " must be positive (0: no limit)");
  NoGradGuard no_grad;
  // Every (RoI, class) pair at once, RoI-major: rows s N + c - 1 for class c = 1..N.
  const Tensor probs = narrow(softmax(out.class_logits.detach(), 1), 1, 1, N);
  const Tensor repeated = reshape(expand(unsqueeze(rois.detach(), 1), {S, N, 4}), {S * N, 4});
  Tensor boxes = clip_boxes(decode_boxes(repeated, reshape(out.deltas.detach(), {S * N, 4}), o.coding), image_h, image_w);
  Tensor scores = reshape(probs, {S * N});
  Tensor labels = reshape(expand(unsqueeze(arange(N, {kInt64, rois.device()}), 0), {S, N}), {S * N});
  Tensor confident = gt(scores, scalar_like(scores, o.score_threshold));
  if (o.min_size > 0) confident = confident * boxes_at_least(boxes, o.min_size);  // torchvision's remove_small_boxes
  confident = nonzero(confident);
  boxes = index_select_in_range(boxes, 0, confident);
  scores = index_select_in_range(scores, 0, confident);
  labels = index_select_in_range(labels, 0, confident);
  const Tensor keep = batched_nms(boxes, scores, labels, o.nms_threshold);  // decreasing score
  // The kept rows (x1, y1, x2, y2, score, label) in one float64 copy to the host (one wait for a GPU);
  // float32 values and small integer labels are exact in float64.
  const Tensor kept = index_select_in_range(
      concat({boxes.to(kFloat64), unsqueeze(scores.to(kFloat64), 1), unsqueeze(labels.to(kFloat64), 1)}, 1), 0, keep);
  const std::vector<double> rows = kept.cpu().to_vector<double>();
  std::vector<Detection> detections;
  std::vector<int64_t> per_class(N, 0);
  for (int64_t i = 0; i < kept.size(0); ++i) {
    const double* r = rows.data() + 6 * i;
    const auto label = static_cast<int64_t>(r[5]);
    if (o.max_per_image > 0 && static_cast<int64_t>(detections.size()) == o.max_per_image) break;
    if (o.max_per_class > 0 && per_class[label] == o.max_per_class) continue;
    ++per_class[label];
    detections.push_back({image_id, label, r[4], {r[0] / scale, r[1] / scale, r[2] / scale, r[3] / scale}});
  }
  return detections;
}

}  // namespace rcnn
