#pragma once
// RoI pooling: a fixed-size feature map for every box, from the backbone's feature map (Fast R-CNN,
// section 2.1), so one head serves boxes of every size. Differentiable with respect to the features.
#include "core/tensor.h"

namespace rcnn {

struct RoiAlignOptions {
  int64_t output_size = 7;
  double spatial_scale = 1.0 / 16;  // feature-map cells per image pixel
  int64_t sampling_ratio = 2;       // bilinear samples per bin side; 0: adaptive, ceil(bin size)
  bool aligned = false;             // true: box edges at pixel borders map half a cell earlier (Detectron2)
};

struct RoiPoolOptions {
  int64_t output_size = 7;
  double spatial_scale = 1.0 / 16;
};

// features (N, C, H, W); boxes (K, 4) in image pixels; batch_index int64 (K): the image of each box.
// -> (K, C, output_size, output_size). As torchvision's roi_align and roi_pool.
Tensor roi_align(const Tensor& features, const Tensor& boxes, const Tensor& batch_index, const RoiAlignOptions& options = {});
Tensor roi_pool(const Tensor& features, const Tensor& boxes, const Tensor& batch_index, const RoiPoolOptions& options = {});

// The seed article's crop-and-resize (Luminoth): a 2 size x 2 size grid of bilinear samples, one at the
// centre of each cell of the box (roi_align with sampling_ratio 1), then 2 x 2 max pooling -> size x
// size. (TensorFlow's crop_and_resize puts its samples on the grid's corners: half a cell apart.)
Tensor crop_and_resize(const Tensor& features, const Tensor& boxes, const Tensor& batch_index, int64_t size = 7,
                       double spatial_scale = 1.0 / 16);

}  // namespace rcnn
