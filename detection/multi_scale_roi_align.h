#pragma once
// RoI pooling on a feature pyramid (FPN paper, section 4.2): each RoI is pooled from the one level
// whose scale suits its size, so a small box reads the fine map and a large one the coarse; one head
// then serves them all. As torchvision's MultiScaleRoIAlign and its LevelMapper.
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "detection/roi_pool.h"

namespace rcnn {

// The FPN paper's equation 1: k = floor(k0 + log2(sqrt(w h) / 224) + 1e-6), k0 = 4 (an ImageNet-sized
// RoI, 224^2, goes to C4's level), clamped to [k_min, k_max]; returned as k - k_min (0: the finest
// level), int64 (K) on the host. Computed in the boxes' precision (float32 unless they are float64),
// operation for operation as torchvision does.
Tensor roi_levels(const Tensor& boxes, int64_t k_min, int64_t k_max);

// The levels k_min and k_max of maps of `strides` (2^k each, doubling from level to level; checked).
std::pair<int64_t, int64_t> pyramid_levels(const std::vector<int64_t>& strides);

// maps: the pyramid's levels (N, C, H_l, W_l), finest first, of strides `strides` (powers of two);
// boxes (K, 4) in image pixels, batch_index int64 (K). Each box is pooled by roi_align (options'
// spatial_scale is replaced by 1 / its level's stride) from its level. -> (K, C, size, size), in the
// order of the boxes. Differentiable with respect to the maps.
Tensor multi_scale_roi_align(const std::vector<Tensor>& maps, const std::vector<int64_t>& strides, const Tensor& boxes,
                             const Tensor& batch_index, const RoiAlignOptions& options = {});

}  // namespace rcnn
