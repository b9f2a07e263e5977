#pragma once
// `rcnn export`: a trained detector as one ONNX file that onnxruntime (or any ONNX runtime) runs and
// that gives the detections `rcnn predict` gives (docs/export.md). The graph takes one RGB image of the
// export size, uint8 (H, W, 3), as decoded from a file (normalisation is inside), and gives `boxes`
// (N, 4) float32 x1 y1 x2 y2 in the input's pixels, `labels` (N) int64 (the class's index in the
// `classes` metadata) and `scores` (N) float32, best first: the whole detector (backbone, RPN,
// proposals, RoI pooling, head, per-class NMS), anchors as constants. Written with Debian's libonnx; the
// file passes ONNX's checker and full shape inference before it is written. A setting the graph cannot
// express is an error naming it: nothing is written that would give other boxes.
#include <set>
#include <string>

#include "detection/detector_checkpoint.h"

namespace rcnn::onnx_export {

struct ExportOptions {
  int64_t height = 0, width = 0;  // 0: the config's input.shorter_side
  int64_t opset = 17;             // 16 or 17 (RoiAlign's coordinate_transformation_mode needs 16)
};

struct ExportSummary {
  int64_t height = 0, width = 0, nodes = 0, bytes = 0;
  std::set<std::string> op_types;
};

ExportSummary export_detector(LoadedDetector& detector, const std::string& path, const ExportOptions& options = {});

}  // namespace rcnn::onnx_export
