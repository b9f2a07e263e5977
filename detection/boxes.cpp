// Box arithmetic composed of tensor ops (so it runs on either device and, where it matters,
// differentiates); the column-by-column forms follow torchvision's box_iou and BoxCoder, so results
// agree with it to the last bits (tests/test_detection.cpp).
#include "detection/boxes.h"

#include <limits>

#include "autograd/grad_mode.h"
#include "ops/checks.h"
#include "ops/ops.h"

namespace rcnn {

namespace {

Tensor column(const Tensor& boxes, int64_t k) { return squeeze(narrow(boxes, 1, k, 1), 1); }

// Centres and sizes: (cx, cy, w, h) columns.
struct Centred {
  Tensor cx, cy, w, h;
  explicit Centred(const Tensor& b)
      : w(column(b, 2) - column(b, 0)), h(column(b, 3) - column(b, 1)) {
    cx = column(b, 0) + w * 0.5;
    cy = column(b, 1) + h * 0.5;
  }
};

}  // namespace

void check_boxes(const char* op, const Tensor& boxes) {
  check_floating(op, boxes);
  check(boxes.dim() == 2 && boxes.size(1) == 4, op, ": boxes must be (N, 4) (x1, y1, x2, y2), got ", describe(boxes));
  if (boxes.numel() == 0 || !values_checked(boxes)) return;
  NoGradGuard no_grad;
  const Tensor b = boxes.detach();
  const Tensor flipped = lt(column(b, 2), column(b, 0)) + lt(column(b, 3), column(b, 1));
  // One read of two numbers (one wait for a GPU): the largest |coordinate| and the inverted count.
  const std::vector<double> summary = stack({max(abs(b)), sum(flipped)}, 0).cpu().to_vector<double>();
  check(std::isfinite(summary[0]), op, ": boxes hold ", summary[0], " (NaN or infinite coordinates)");
  if (summary[1] > 0) {
    const Tensor inverted = nonzero(flipped);
    const int64_t i = inverted.cpu().to_vector<int64_t>().front();
    throw Error(concat_message(op, ": box ", i, " (", b.at({i, 0}), ", ", b.at({i, 1}), ", ", b.at({i, 2}), ", ",
                               b.at({i, 3}), ") is inverted (x2 < x1 or y2 < y1)"));
  }
}

Tensor box_area(const Tensor& boxes) {
  check_boxes("box_area", boxes);
  return (column(boxes, 2) - column(boxes, 0)) * (column(boxes, 3) - column(boxes, 1));
}

Tensor box_iou(const Tensor& a, const Tensor& b) {
  check_same_kind("box_iou", a, b);
  const Tensor area_a = unsqueeze(box_area(a), 1), area_b = unsqueeze(box_area(b), 0);
  // (N, 1, 2) against (1, M, 2): the corners of every intersection.
  const Tensor a_lo = unsqueeze(narrow(a, 1, 0, 2), 1), a_hi = unsqueeze(narrow(a, 1, 2, 2), 1);
  const Tensor b_lo = unsqueeze(narrow(b, 1, 0, 2), 0), b_hi = unsqueeze(narrow(b, 1, 2, 2), 0);
  const Tensor wh = clamp(minimum(a_hi, b_hi) - maximum(a_lo, b_lo), 0, std::numeric_limits<double>::infinity());
  const Tensor inter = squeeze(narrow(wh, 2, 0, 1), 2) * squeeze(narrow(wh, 2, 1, 1), 2);
  const Tensor uni = area_a + area_b - inter;
  return where(gt(uni, scalar_like(uni, 0)), inter / uni, scalar_like(uni, 0));
}

Tensor boxes_inside(const Tensor& boxes, int64_t height, int64_t width, double border) {
  check_boxes("boxes_inside", boxes);
  auto at_least = [&](int64_t k, double v) { return ge(column(boxes, k), scalar_like(boxes, v)); };
  auto at_most = [&](int64_t k, double v) { return le(column(boxes, k), scalar_like(boxes, v)); };
  return at_least(0, -border) * at_least(1, -border) * at_most(2, width + border) * at_most(3, height + border);
}

Tensor clip_boxes(const Tensor& boxes, int64_t height, int64_t width) {
  check_boxes("clip_boxes", boxes);
  check(height > 0 && width > 0, "clip_boxes: image size ", width, "x", height, " is not a size");
  const double inf = std::numeric_limits<double>::infinity();
  auto cut = [&](int64_t k, double hi) { return clamp(narrow(boxes, 1, k, 1), -inf, hi); };
  return concat({clamp(cut(0, width), 0, inf), clamp(cut(1, height), 0, inf), clamp(cut(2, width), 0, inf),
                 clamp(cut(3, height), 0, inf)},
                1);
}

Tensor boxes_at_least(const Tensor& boxes, double min_size) {
  check_boxes("boxes_at_least", boxes);
  NoGradGuard no_grad;
  const Tensor w = column(boxes, 2) - column(boxes, 0), h = column(boxes, 3) - column(boxes, 1);
  return ge(w, scalar_like(w, min_size)) * ge(h, scalar_like(h, min_size));
}

Tensor remove_small_boxes(const Tensor& boxes, double min_size) { return nonzero(boxes_at_least(boxes, min_size)); }

Tensor encode_boxes(const Tensor& reference, const Tensor& target, const BoxCoding& c) {
  check_boxes("encode_boxes", reference);
  check_boxes("encode_boxes", target);
  check(reference.shape() == target.shape(), "encode_boxes: reference ", describe(reference), " and target ",
        describe(target), " differ in shape");
  const Centred r(reference), t(target);
  // weight * difference / size, in torchvision's order of operations (its weights are 1 / stds).
  return stack({(t.cx - r.cx) * (1 / c.stds[0]) / r.w, (t.cy - r.cy) * (1 / c.stds[1]) / r.h,
                log(t.w / r.w) * (1 / c.stds[2]), log(t.h / r.h) * (1 / c.stds[3])},
               1);
}

Tensor decode_boxes(const Tensor& reference, const Tensor& deltas, const BoxCoding& c) {
  check_boxes("decode_boxes", reference);
  check_same_kind("decode_boxes", reference, deltas);
  check(deltas.shape() == reference.shape(), "decode_boxes: deltas ", describe(deltas), " must match reference ",
        describe(reference));
  const Centred r(reference);
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor dx = column(deltas, 0) / (1 / c.stds[0]), dy = column(deltas, 1) / (1 / c.stds[1]);
  const Tensor dw = clamp(column(deltas, 2) / (1 / c.stds[2]), -inf, c.max_log_scale);
  const Tensor dh = clamp(column(deltas, 3) / (1 / c.stds[3]), -inf, c.max_log_scale);
  const Tensor cx = dx * r.w + r.cx, cy = dy * r.h + r.cy;
  const Tensor half_w = exp(dw) * r.w * 0.5, half_h = exp(dh) * r.h * 0.5;
  return stack({cx - half_w, cy - half_h, cx + half_w, cy + half_h}, 1);
}

}  // namespace rcnn
