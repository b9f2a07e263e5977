#pragma once
// The box arithmetic of detection/boxes.h and the NMS of detection/nms.h as ONNX nodes, operation for
// operation in float32 as the library computes them, so the exported detector's boxes are its boxes.
#include <string>

#include "detection/boxes.h"
#include "export/onnx_graph.h"

namespace rcnn::onnx_export {

// decode_boxes(reference (N, 4), deltas (N, 4), coding), then clip_boxes to height x width.
std::string decode_and_clip(OnnxGraph& g, const std::string& reference, const std::string& deltas, const BoxCoding& coding,
                            int64_t height, int64_t width);
// boxes_at_least: bool (N), true where a box is at least min_size wide and high.
std::string at_least(OnnxGraph& g, const std::string& boxes, double min_size);
// The rows of `values` (N, ...) at `index` (K) int64.
std::string rows(OnnxGraph& g, const std::string& values, const std::string& index);
// ONNX's NonMaxSuppression on boxes (N, 4) with scores (C, N): each class's kept boxes, int64 (K) box
// indices, class after class and best first within one; `max_kept` per class (an int64 (1) value).
// Scores of -inf are never kept (they mark boxes left out). The IoU threshold is written as the float
// our kernel compares with (largest_not_above), so both keep the same boxes.
std::string nms_indices(OnnxGraph& g, const std::string& boxes, const std::string& scores, const std::string& max_kept,
                        double iou_threshold);
// Column k of boxes (N, 4) as (N).
std::string column(OnnxGraph& g, const std::string& boxes, int64_t k);
// The length of `values`' first axis as an int64 (1) value.
std::string length(OnnxGraph& g, const std::string& values);

}  // namespace rcnn::onnx_export
