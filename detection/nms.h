#pragma once
// Non-maximum suppression (NMS): of boxes that overlap, keep the highest-scoring one.
#include "core/tensor.h"

namespace rcnn {

// Greedy NMS. Boxes are taken in decreasing score (equal scores keep their order: a stable sort, as
// torchvision's CPU kernel); each kept box drops every later box whose IoU with it is above
// iou_threshold. Returns the int64 indices of the kept boxes, in decreasing score.
// boxes: (N, 4), scores: (N), on one device. detection/kernels/nms.cpp and nms.cu do the pairs.
Tensor nms(const Tensor& boxes, const Tensor& scores, double iou_threshold);

// The same pass over boxes already in decreasing score (as top-k leaves them): int64 (N), 1 where the
// box is kept, 0 where it is dropped. Unlike nms(), its result's size is known before it runs, so on a
// GPU nothing waits for the device.
Tensor nms_sorted(const Tensor& boxes, double iou_threshold);

// Class-aware NMS: boxes of different labels (int64 (N)) never suppress each other. As in
// torchvision's batched_nms, each label's boxes are moved by label x (largest coordinate + 1), so one
// NMS over all of them does it.
Tensor batched_nms(const Tensor& boxes, const Tensor& scores, const Tensor& labels, double iou_threshold);

}  // namespace rcnn
