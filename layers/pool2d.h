#pragma once
// 2-D max pooling, NCHW.
#include "core/tensor.h"

namespace rcnn {

struct MaxPool2dOptions {
  int64_t kernel = 2;
  int64_t stride = 0;  // 0: the kernel size
  int64_t padding = 0;
  bool ceil_mode = false;  // round the output size up, so a partial last window counts
};

// x: (N, C, H, W) -> (N, C, OH, OW); OH = floor-or-ceil((H + 2 padding - kernel) / stride) + 1.
Tensor max_pool2d(const Tensor& x, MaxPool2dOptions options = {});

}  // namespace rcnn
