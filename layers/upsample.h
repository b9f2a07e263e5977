#pragma once
// Nearest-neighbour upsampling to a given size: a feature pyramid's top-down path (Lin et al. 2017,
// section 3) upsamples each coarser map to the exact size of the finer lateral it is added to (not x2,
// so that odd sizes work), as torchvision's FeaturePyramidNetwork does with
// F.interpolate(x, size=(H, W), mode="nearest").
#include "core/tensor.h"

namespace rcnn {

// x (N, C, h, w) -> (N, C, height, width): each output pixel copies the input pixel nearest_source()
// gives (core/kernels.h), exactly as PyTorch's "nearest". Backward sums each output's gradient into
// the pixel it was copied from.
Tensor upsample_nearest(const Tensor& x, int64_t height, int64_t width);

}  // namespace rcnn
