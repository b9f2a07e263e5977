// CPU greedy NMS: each kept box suppresses the later boxes it overlaps by more than the threshold.
// Boxes arrive sorted, so the first survivor of a cluster is its highest-scoring box.
#include <vector>

#include "detection/kernels/kernels.h"

namespace rcnn::cpu {

void nms_keep(const Tensor& boxes, double iou_threshold, const Tensor& keep) {
  const int64_t n = boxes.shape()[0];
  int64_t* kept = keep.data<int64_t>();
  RCNN_FLOAT_DISPATCH(boxes.dtype(), T, {
    const T* b = boxes.data<T>();
    std::vector<T> area(n);
    for (int64_t i = 0; i < n; ++i) area[i] = (b[4 * i + 2] - b[4 * i]) * (b[4 * i + 3] - b[4 * i + 1]);
    std::vector<char> suppressed(n, 0);
    for (int64_t i = 0; i < n; ++i) {
      kept[i] = !suppressed[i];
      if (suppressed[i]) continue;
      for (int64_t j = i + 1; j < n; ++j)
        if (!suppressed[j] && box_pair_iou(b + 4 * i, b + 4 * j, area[i], area[j]) > iou_threshold) suppressed[j] = 1;
    }
  });
}

}  // namespace rcnn::cpu
