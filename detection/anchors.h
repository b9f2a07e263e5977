#pragma once
// Anchors (Faster R-CNN, section 3.1.1): at every cell of a feature map of stride s, boxes of several
// sizes and height:width ratios centred on the cell, in image coordinates. The RPN scores each one and
// regresses a box relative to it.
#include <vector>

#include "core/tensor.h"

namespace rcnn {

struct AnchorOptions {
  std::vector<double> sizes = {128, 256, 512};  // sqrt(area), in image pixels
  std::vector<double> ratios = {0.5, 1, 2};     // height / width
  int64_t stride = 16;                          // image pixels per feature-map cell

  static AnchorOptions paper() { return {}; }                          // 9 anchors (py-faster-rcnn)
  static AnchorOptions luminoth() { return {{64, 128, 256, 512}, {0.5, 1, 2}, 16}; }  // 12 (the seed article)
  int64_t count() const { return static_cast<int64_t>(sizes.size() * ratios.size()); }
};

// (A, 4): the anchors of one cell centred on (0, 0), ratio by ratio and, within a ratio, size by size;
// height size * sqrt(ratio), width size / sqrt(ratio), so every anchor of one size has area size^2.
Tensor cell_anchors(const AnchorOptions& options);

// (H * W * A, 4) float32 on `device`: cell (y, x) of an (H, W) feature map has its A anchors centred on
// the centre of its pixels in the image, ((x + 0.5) stride, (y + 0.5) stride). Row-major order (h, w,
// a), the order of the RPN head's outputs once permuted to (H, W, A).
Tensor grid_anchors(const AnchorOptions& options, int64_t feature_h, int64_t feature_w, Device device = kCPU);

// A feature pyramid's anchors, as torchvision's AnchorGenerator makes them (so its detectors' weights
// mean the same here): level l has one size, options.sizes[l], in every ratio; each cell's anchors are
// rounded to whole pixels (half to even) and sit on the cell's top-left corner, and a level's stride is
// the padded image's size // the map's, per axis. Levels concatenated finest first, each in (h, w, a)
// order; per_level: how many anchors each level has.
struct PyramidAnchors {
  Tensor anchors;                  // (sum of per_level, 4) float32
  std::vector<int64_t> per_level;
};
PyramidAnchors pyramid_anchors(const AnchorOptions& options, int64_t image_h, int64_t image_w,
                               const std::vector<std::pair<int64_t, int64_t>>& map_sizes, Device device = kCPU);

}  // namespace rcnn
