// CPU greedy NMS: each kept box suppresses the later boxes it overlaps by more than the threshold.
// Boxes arrive sorted, so the first survivor of a cluster is its highest-scoring box. The pass of one
// kept box over the later ones is a branch-free loop over columns of coordinates (vectorised), split
// across threads when it is long enough to pay for them.
#include <vector>

#include "core/kernels/parallel.h"
#include "detection/kernels/kernels.h"

namespace rcnn::cpu {

namespace {

// Marks boxes [begin, end) that box i overlaps by more than the threshold. Plain restrict pointers and
// an int mask (a char store could alias the coordinates) let the compiler vectorise the loop.
template <class T>
void suppress_overlaps(int64_t i, int64_t begin, int64_t end, const T* __restrict x1, const T* __restrict y1,
                       const T* __restrict x2, const T* __restrict y2, const T* __restrict area, T threshold,
                       int32_t* __restrict suppressed) {
  const T ax1 = x1[i], ay1 = y1[i], ax2 = x2[i], ay2 = y2[i], aa = area[i];
  for (int64_t j = begin; j < end; ++j)
    suppressed[j] |= box_pair_iou(ax1, ay1, ax2, ay2, x1[j], y1[j], x2[j], y2[j], aa, area[j]) > threshold;
}

}  // namespace

void nms_keep(const Tensor& boxes, double iou_threshold, const Tensor& keep) {
  const int64_t n = boxes.shape()[0];
  int64_t* kept = keep.data<int64_t>();
  RCNN_FLOAT_DISPATCH(boxes.dtype(), T, {
    const T* b = boxes.data<T>();
    std::vector<T> x1(n), y1(n), x2(n), y2(n), area(n);
    for (int64_t i = 0; i < n; ++i) {
      x1[i] = b[4 * i], y1[i] = b[4 * i + 1], x2[i] = b[4 * i + 2], y2[i] = b[4 * i + 3];
      area[i] = (x2[i] - x1[i]) * (y2[i] - y1[i]);
    }
    const T threshold = largest_not_above<T>(iou_threshold);
    std::vector<int32_t> suppressed(n, 0);
    for (int64_t i = 0; i < n; ++i) {
      kept[i] = !suppressed[i];
      if (suppressed[i]) continue;
      parallel_for(
          n - i - 1,
          [&](int64_t begin, int64_t end) {
            suppress_overlaps(i, i + 1 + begin, i + 1 + end, x1.data(), y1.data(), x2.data(), y2.data(), area.data(),
                              threshold, suppressed.data());
          },
          8192);
    }
  });
}

}  // namespace rcnn::cpu
