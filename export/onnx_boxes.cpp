#include "export/onnx_boxes.h"

#include <limits>

#include "detection/kernels/kernels.h"

namespace rcnn::onnx_export {

std::string column(OnnxGraph& g, const std::string& boxes, int64_t k) {
  return g.op("Gather", {boxes, g.ints({k}, {})}, {MakeAttribute("axis", int64_t{1})});
}

std::string length(OnnxGraph& g, const std::string& values) {
  return g.op("Shape", {values}, {MakeAttribute("start", int64_t{0}), MakeAttribute("end", int64_t{1})});
}

std::string rows(OnnxGraph& g, const std::string& values, const std::string& index) {
  return g.op("Gather", {values, index}, {MakeAttribute("axis", int64_t{0})});
}

// decode_boxes (detection/boxes.cpp): centres and sizes of the reference, then the deltas over the
// coding's weights (1 / std), the log-scales cut at max_log_scale.
std::string decode_and_clip(OnnxGraph& g, const std::string& reference, const std::string& deltas, const BoxCoding& c,
                            int64_t height, int64_t width) {
  const std::string x1 = column(g, reference, 0), y1 = column(g, reference, 1);
  const std::string w = g.op("Sub", {column(g, reference, 2), x1}), h = g.op("Sub", {column(g, reference, 3), y1});
  const std::string half = g.scalar(0.5f);
  const std::string cx = g.op("Add", {x1, g.op("Mul", {w, half})}), cy = g.op("Add", {y1, g.op("Mul", {h, half})});
  auto delta = [&](int64_t k) {
    const std::string d = g.op("Div", {column(g, deltas, k), g.scalar(static_cast<float>(1 / c.stds[static_cast<size_t>(k)]))});
    return k < 2 ? d : g.op("Min", {d, g.scalar(static_cast<float>(c.max_log_scale))});
  };
  const std::string x = g.op("Add", {g.op("Mul", {delta(0), w}), cx}), y = g.op("Add", {g.op("Mul", {delta(1), h}), cy});
  const std::string half_w = g.op("Mul", {g.op("Mul", {g.op("Exp", {delta(2)}), w}), half});
  const std::string half_h = g.op("Mul", {g.op("Mul", {g.op("Exp", {delta(3)}), h}), half});
  // clip_boxes: each coordinate into [0, the image's side].
  auto clip = [&](const std::string& v, int64_t side) {
    return g.op("Unsqueeze", {g.op("Clip", {v, g.scalar(0), g.scalar(static_cast<float>(side))}), g.ints({1})});
  };
  return g.op("Concat",
              {clip(g.op("Sub", {x, half_w}), width), clip(g.op("Sub", {y, half_h}), height),
               clip(g.op("Add", {x, half_w}), width), clip(g.op("Add", {y, half_h}), height)},
              {MakeAttribute("axis", int64_t{1})});
}

std::string at_least(OnnxGraph& g, const std::string& boxes, double min_size) {
  const std::string size = g.scalar(static_cast<float>(min_size));
  const std::string w = g.op("Sub", {column(g, boxes, 2), column(g, boxes, 0)});
  const std::string h = g.op("Sub", {column(g, boxes, 3), column(g, boxes, 1)});
  return g.op("And", {g.op("GreaterOrEqual", {w, size}), g.op("GreaterOrEqual", {h, size})});
}

std::string nms_indices(OnnxGraph& g, const std::string& boxes, const std::string& scores, const std::string& max_kept,
                        double iou_threshold) {
  const std::string batch = g.ints({0});
  const std::string selected = g.op(
      "NonMaxSuppression",
      {g.op("Unsqueeze", {boxes, batch}), g.op("Unsqueeze", {scores, batch}), max_kept,
       g.floats({largest_not_above<float>(iou_threshold)}, {1}), g.floats({std::numeric_limits<float>::lowest()}, {1})});
  return column(g, selected, 2);  // (batch, class, box) rows
}

}  // namespace rcnn::onnx_export
