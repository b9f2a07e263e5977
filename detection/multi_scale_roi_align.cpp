#include "detection/multi_scale_roi_align.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "detection/boxes.h"
#include "ops/checks.h"
#include "ops/ops.h"

namespace rcnn {

Tensor roi_levels(const Tensor& boxes, int64_t k_min, int64_t k_max) {
  check_boxes("roi_levels", boxes);
  check(k_min <= k_max, "roi_levels: k_min ", k_min, " is above k_max ", k_max);
  // In the boxes' own precision, operation for operation as torchvision's LevelMapper.
  auto levels_in = [&](auto zero) {
    using T = decltype(zero);
    const std::vector<T> b = boxes.detach().cpu().to(std::is_same<T, double>::value ? kFloat64 : kFloat32).template to_vector<T>();
    std::vector<int64_t> levels(b.size() / 4);
    for (size_t i = 0; i < levels.size(); ++i) {
      const T* r = b.data() + 4 * i;
      const T size = std::sqrt((r[2] - r[0]) * (r[3] - r[1]));
      const T k = std::floor(T(4) + std::log2(size / T(224)) + T(1e-6));
      levels[i] = static_cast<int64_t>(std::clamp(k, static_cast<T>(k_min), static_cast<T>(k_max))) - k_min;
    }
    return levels;
  };
  const std::vector<int64_t> levels = boxes.dtype() == kFloat64 ? levels_in(0.0) : levels_in(0.0f);
  return from_vector(levels, {boxes.size(0)});
}

std::pair<int64_t, int64_t> pyramid_levels(const std::vector<int64_t>& strides) {
  check(!strides.empty(), "multi_scale_roi_align: no levels");
  std::vector<int64_t> k;
  for (int64_t s : strides) {
    const auto log = static_cast<int64_t>(std::lround(std::log2(static_cast<double>(s))));
    check(s > 0 && (int64_t{1} << log) == s, "multi_scale_roi_align: stride ", s, " is not a power of two");
    check(k.empty() || log == k.back() + 1, "multi_scale_roi_align: strides must double from level to level");
    k.push_back(log);
  }
  return {k.front(), k.back()};
}

Tensor multi_scale_roi_align(const std::vector<Tensor>& maps, const std::vector<int64_t>& strides, const Tensor& boxes,
                             const Tensor& batch_index, const RoiAlignOptions& options) {
  check(!maps.empty() && maps.size() == strides.size(), "multi_scale_roi_align: ", maps.size(), " maps with ",
        strides.size(), " strides");
  const auto [k_min, k_max] = pyramid_levels(strides);
  const Tensor levels = roi_levels(boxes, k_min, k_max);
  const std::vector<int64_t> level = levels.to_vector<int64_t>();
  // Level by level, then back in the boxes' order through the inverse of that grouping.
  std::vector<Tensor> pooled;
  std::vector<int64_t> order;
  for (size_t l = 0; l < maps.size(); ++l) {
    std::vector<int64_t> mine;
    for (size_t i = 0; i < level.size(); ++i)
      if (level[i] == static_cast<int64_t>(l)) mine.push_back(static_cast<int64_t>(i));
    if (mine.empty()) continue;
    const Tensor index = from_vector(mine, {static_cast<int64_t>(mine.size())}, boxes.device());
    RoiAlignOptions o = options;
    o.spatial_scale = 1.0 / static_cast<double>(strides[l]);
    pooled.push_back(roi_align(maps[l], index_select_in_range(boxes, 0, index),
                               index_select_in_range(batch_index, 0, index), o));
    order.insert(order.end(), mine.begin(), mine.end());
  }
  const int64_t K = boxes.size(0);
  if (pooled.empty()) return roi_align(maps[0], boxes, batch_index, options);  // no boxes: (0, C, size, size)
  std::vector<int64_t> inverse(static_cast<size_t>(K));
  for (int64_t j = 0; j < K; ++j) inverse[static_cast<size_t>(order[static_cast<size_t>(j)])] = j;
  const Tensor all = pooled.size() == 1 ? pooled[0] : concat(pooled, 0);
  return index_select_in_range(all, 0, from_vector(inverse, {K}, boxes.device()));
}

}  // namespace rcnn
