#include "detection/anchors.h"

#include <cmath>

#include "core/error.h"

namespace rcnn {

namespace {

void check_options(const AnchorOptions& o) {
  check(!o.sizes.empty() && !o.ratios.empty() && o.stride > 0, "anchors: need sizes, ratios and a positive stride");
  for (double s : o.sizes) check(s > 0 && std::isfinite(s), "anchors: size ", s, " is not a positive number");
  for (double r : o.ratios) check(r > 0 && std::isfinite(r), "anchors: ratio ", r, " is not a positive number");
}

std::vector<double> cell_values(const AnchorOptions& o) {
  std::vector<double> v;
  for (double r : o.ratios)
    for (double s : o.sizes) {
      const double half_h = s * std::sqrt(r) / 2, half_w = s / std::sqrt(r) / 2;
      v.insert(v.end(), {-half_w, -half_h, half_w, half_h});
    }
  return v;
}

}  // namespace

Tensor cell_anchors(const AnchorOptions& o) {
  check_options(o);
  std::vector<double> v = cell_values(o);
  return from_vector(std::vector<float>(v.begin(), v.end()), {o.count(), 4});
}

Tensor grid_anchors(const AnchorOptions& o, int64_t feature_h, int64_t feature_w, Device device) {
  check_options(o);
  check(feature_h >= 0 && feature_w >= 0, "grid_anchors: feature map ", feature_h, "x", feature_w, " is not a size");
  const std::vector<double> cell = cell_values(o);
  const int64_t a = o.count();
  std::vector<float> out(static_cast<size_t>(feature_h * feature_w * a * 4));
  size_t k = 0;
  for (int64_t y = 0; y < feature_h; ++y)
    for (int64_t x = 0; x < feature_w; ++x) {
      const double cx = (x + 0.5) * o.stride, cy = (y + 0.5) * o.stride;
      for (int64_t i = 0; i < a; ++i) {
        out[k++] = static_cast<float>(cx + cell[4 * i]);
        out[k++] = static_cast<float>(cy + cell[4 * i + 1]);
        out[k++] = static_cast<float>(cx + cell[4 * i + 2]);
        out[k++] = static_cast<float>(cy + cell[4 * i + 3]);
      }
    }
  return from_vector(out, {feature_h * feature_w * a, 4}, device);
}

PyramidAnchors pyramid_anchors(const AnchorOptions& o, int64_t image_h, int64_t image_w,
                               const std::vector<std::pair<int64_t, int64_t>>& map_sizes, Device device) {
  check_options(o);
  check(o.sizes.size() == map_sizes.size(), "anchors.sizes: a feature pyramid of ", map_sizes.size(),
        " levels needs one size per level, got ", o.sizes.size());
  PyramidAnchors out;
  std::vector<float> v;
  for (size_t l = 0; l < map_sizes.size(); ++l) {
    const auto [h, w] = map_sizes[l];
    check(h > 0 && w > 0, "pyramid_anchors: level ", l, " map ", h, "x", w, " is empty");
    const int64_t stride_y = image_h / h, stride_x = image_w / w;
    // The cell's anchors in float32, as torchvision computes them, then rounded.
    std::vector<float> cell;
    for (double r : o.ratios) {
      const float h_ratio = std::sqrt(static_cast<float>(r)), w_ratio = 1.0f / h_ratio;
      const float size = static_cast<float>(o.sizes[l]);
      const float half_w = std::nearbyint(w_ratio * size / 2), half_h = std::nearbyint(h_ratio * size / 2);
      cell.insert(cell.end(), {-half_w, -half_h, half_w, half_h});
    }
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        const auto sx = static_cast<float>(x * stride_x), sy = static_cast<float>(y * stride_y);
        for (size_t i = 0; i < cell.size(); i += 4)
          v.insert(v.end(), {sx + cell[i], sy + cell[i + 1], sx + cell[i + 2], sy + cell[i + 3]});
      }
    out.per_level.push_back(h * w * static_cast<int64_t>(o.ratios.size()));
  }
  out.anchors = from_vector(v, {static_cast<int64_t>(v.size() / 4), 4}, device);
  return out;
}

}  // namespace rcnn
