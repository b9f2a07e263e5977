#include "export/onnx_detector.h"

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "autograd/grad_mode.h"
#include "detection/multi_scale_roi_align.h"
#include "detection/trainer.h"
#include "export/onnx_boxes.h"
#include "export/onnx_layers.h"

namespace rcnn::onnx_export {

namespace {

using Type = onnx::TensorProto;
constexpr float kMinusInfinity = -std::numeric_limits<float>::infinity();

// uint8 (H, W, 3) RGB -> (1, 3, PH, PW) float32: (rgb / 255 - mean) / std as datasets/transforms.cpp's
// normalize, then zeros (the mean colour) below and right up to the padded size, as batch_images.
std::string network_input(OnnxGraph& g, const LoaderOptions& o, int64_t H, int64_t W, int64_t PH, int64_t PW) {
  g.scope = "input";
  g.input("image", Type::UINT8, {H, W, 3});
  std::string x = g.op("Div", {g.op("Cast", {"image"}, {MakeAttribute("to", int64_t{Type::FLOAT})}), g.scalar(255.0f)});
  x = g.op("Sub", {x, g.floats({o.mean[0], o.mean[1], o.mean[2]}, {3})});
  x = g.op("Div", {x, g.floats({o.std[0], o.std[1], o.std[2]}, {3})});
  x = g.op("Unsqueeze", {g.op("Transpose", {x}, {MakeAttribute("perm", std::vector<int64_t>{2, 0, 1})}), g.ints({0})});
  if (PH == H && PW == W) return x;
  return g.op("Pad", {x, g.ints({0, 0, 0, 0, 0, 0, PH - H, PW - W})});
}

struct RpnValues {
  std::string logits, deltas;  // (A) object logits (object_logits), (A, 4), every map's rows, finest first
};

// RpnHead::predict and object_logits: per map the 3x3 conv and ReLU, then the two 1x1 convs, each
// (1, A k, h, w) laid out as (h w A, k) rows.
RpnValues rpn_head(OnnxGraph& g, const RpnHead& head, const std::vector<std::string>& maps, const std::vector<Tensor>& shapes) {
  std::vector<std::string> logits, deltas;
  for (size_t l = 0; l < maps.size(); ++l) {
    const std::string h = g.op("Relu", {export_layer(g, *head.conv, maps[l], "rpn.head.conv")});
    const std::string cls = export_layer(g, *head.cls_logits, h, "rpn.head.cls_logits");
    const std::string box = export_layer(g, *head.bbox_pred, h, "rpn.head.bbox_pred");
    g.scope = "rpn.head";
    auto per_anchor = [&](const std::string& t, int64_t k) {
      const std::string split = g.op("Reshape", {t, g.ints({1, head.anchors, k, shapes[l].size(2), shapes[l].size(3)})});
      return g.op("Reshape", {g.op("Transpose", {split}, {MakeAttribute("perm", std::vector<int64_t>{0, 3, 4, 1, 2})}),
                              g.ints({-1, k})});
    };
    logits.push_back(per_anchor(cls, head.logits_per_anchor));
    deltas.push_back(per_anchor(box, 4));
  }
  auto all = [&](const std::vector<std::string>& v) {
    return v.size() == 1 ? v[0] : g.op("Concat", v, {MakeAttribute("axis", int64_t{0})});
  };
  std::string objectness = all(logits);
  if (head.logits_per_anchor == 2) objectness = g.op("Sub", {column(g, objectness, 1), column(g, objectness, 0)});
  else objectness = g.op("Reshape", {objectness, g.ints({-1})});  // (0, x): x - 0 is x
  return {objectness, all(deltas)};
}

struct Boxes {
  std::string boxes, scores, labels;  // (N, 4), (N), (N) int64 (detections only)
};

// propose() (detection/proposals.cpp): every anchor decoded and clipped, small boxes scored -inf, the
// best pre_nms_top_n, NMS, the best post_nms_top_n kept.
Boxes propose(OnnxGraph& g, const Tensor& anchors, const RpnValues& rpn, int64_t H, int64_t W, const ProposalOptions& o,
              const BoxCoding& coding) {
  g.scope = "proposals";
  const std::string boxes = decode_and_clip(g, g.constant(anchors), rpn.deltas, coding, H, W);
  const std::string scores = g.op("Where", {at_least(g, boxes, o.min_size), rpn.logits, g.scalar(kMinusInfinity)});
  const int64_t k = std::min(o.pre_nms_top_n, anchors.size(0));
  const std::vector<std::string> top = g.ops("TopK", {scores, g.ints({k})}, 2);
  const std::string top_boxes = rows(g, boxes, top[1]);
  const std::string keep =
      nms_indices(g, top_boxes, g.op("Unsqueeze", {top[0], g.ints({0})}), g.ints({o.post_nms_top_n}), o.nms_threshold);
  return {rows(g, top_boxes, keep), rows(g, top[0], keep), {}};
}

// propose_per_level(): the best pre_nms_top_n of each level, decoded and clipped, small boxes left out,
// NMS within each level (one NMS class per level), then the best post_nms_top_n of all by score.
Boxes propose_per_level(OnnxGraph& g, const Tensor& anchors, const std::vector<int64_t>& per_level, const RpnValues& rpn,
                        int64_t H, int64_t W, const ProposalOptions& o, const BoxCoding& coding) {
  g.scope = "proposals";
  std::vector<std::string> chosen;
  std::vector<int64_t> level_of;  // each chosen row's level
  int64_t start = 0;
  for (size_t l = 0; l < per_level.size(); ++l) {
    const int64_t n = per_level[l], k = std::min(o.pre_nms_top_n, n);
    const std::string slice = g.op("Slice", {rpn.logits, g.ints({start}), g.ints({start + n})});
    chosen.push_back(g.op("Add", {g.ops("TopK", {slice, g.ints({k})}, 2)[1], g.ints({start}, {})}));
    level_of.insert(level_of.end(), static_cast<size_t>(k), static_cast<int64_t>(l));
    start += n;
  }
  const std::string index = g.op("Concat", chosen, {MakeAttribute("axis", int64_t{0})});
  const std::string boxes = decode_and_clip(g, rows(g, g.constant(anchors), index), rows(g, rpn.deltas, index), coding, H, W);
  const std::string scores = rows(g, rpn.logits, index);
  const std::string big = at_least(g, boxes, o.min_size);
  const auto K = static_cast<int64_t>(level_of.size()), L = static_cast<int64_t>(per_level.size());
  // Class l's scores: the level's rows where big enough, -inf (never kept) everywhere else.
  std::vector<int64_t> level_ids;
  for (int64_t l = 0; l < L; ++l) level_ids.push_back(l);
  const std::string mine = g.op("And", {g.op("Equal", {g.ints(level_ids, {L, 1}), g.ints(level_of, {1, K})}), big});
  const std::string by_level = g.op("Where", {mine, scores, g.scalar(kMinusInfinity)});
  const std::string keep = nms_indices(g, boxes, by_level, g.ints({K}), o.nms_threshold);
  const std::vector<std::string> ranked = g.ops("TopK", {rows(g, scores, keep), length(g, keep)}, 2);
  const std::string best = rows(g, keep, g.op("Slice", {ranked[1], g.ints({0}), g.ints({o.post_nms_top_n})}));
  return {rows(g, boxes, best), rows(g, scores, best), {}};
}

// int64 zeros, one per row of `rows` (the image index of every RoI: there is one image).
std::string zero_per_row(OnnxGraph& g, const std::string& rois) {
  return g.op("ConstantOfShape", {length(g, rois)}, {MakeAttribute("value", [] {
                onnx::TensorProto zero;
                zero.set_data_type(Type::INT64);
                zero.add_dims(1);
                zero.add_int64_data(0);
                return zero;
              }())});
}

std::string roi_align(OnnxGraph& g, const std::string& map, const std::string& rois, int64_t size, double spatial_scale,
                      int64_t sampling_ratio, bool aligned) {
  // The mode is always written: ONNX's default (half_pixel) is `aligned: true`, and opset 16's
  // exporters that leave it out silently change `aligned: false` models.
  return g.op("RoiAlign", {map, rois, zero_per_row(g, rois)},
              {MakeAttribute("mode", std::string("avg")), MakeAttribute("output_height", size),
               MakeAttribute("output_width", size), MakeAttribute("sampling_ratio", sampling_ratio),
               MakeAttribute("spatial_scale", static_cast<float>(spatial_scale)),
               MakeAttribute("coordinate_transformation_mode", std::string(aligned ? "half_pixel" : "output_half_pixel"))});
}

// multi_scale_roi_align (detection/multi_scale_roi_align.cpp): each RoI's level by equation 1 of the
// FPN paper in float32 (roi_levels), each level's RoIs pooled from its map, put back in RoI order.
std::string multi_scale(OnnxGraph& g, const std::vector<std::string>& maps, const std::vector<int64_t>& strides,
                        int64_t channels, const std::string& rois, const RoiAlignOptions& o) {
  const auto [k_min, k_max] = pyramid_levels(strides);
  const std::string w = g.op("Sub", {column(g, rois, 2), column(g, rois, 0)});
  const std::string h = g.op("Sub", {column(g, rois, 3), column(g, rois, 1)});
  const std::string size = g.op("Sqrt", {g.op("Mul", {w, h})});
  // log2 as ln / ln 2 (ONNX has no Log2): equal to log2f but near whole numbers, where the 1e-6 of the
  // mapper keeps sizes 112, 224, 448 on their level.
  const std::string log2 = g.op("Div", {g.op("Log", {g.op("Div", {size, g.scalar(224)})}), g.scalar(std::log(2.0f))});
  const std::string k = g.op("Floor", {g.op("Add", {g.op("Add", {g.scalar(4), log2}), g.scalar(1e-6f)})});
  const std::string level = g.op("Clip", {k, g.scalar(static_cast<float>(k_min)), g.scalar(static_cast<float>(k_max))});
  const int64_t out = o.output_size;
  std::string pooled = g.op("ConstantOfShape", {g.op("Concat", {length(g, rois), g.ints({channels, out, out})},
                                                     {MakeAttribute("axis", int64_t{0})})});
  for (size_t l = 0; l < maps.size(); ++l) {
    const std::string mine = g.op("Equal", {level, g.scalar(static_cast<float>(k_min + static_cast<int64_t>(l)))});
    const std::string index = g.op("Transpose", {g.op("NonZero", {mine})});  // (K_l, 1)
    const std::string level_rois = g.op("GatherND", {rois, index});
    const std::string level_pooled = roi_align(g, maps[l], level_rois, out, 1.0 / static_cast<double>(strides[l]),
                                               o.sampling_ratio, o.aligned);
    pooled = g.op("ScatterND", {pooled, index, level_pooled});
  }
  return pooled;
}

}  // namespace

namespace {

// FasterRcnn::pool for one image's RoIs.
std::string pool(OnnxGraph& g, FasterRcnn& model, const std::vector<std::string>& maps, const std::string& rois) {
  g.scope = "roi_pool";
  const RoiConfig& c = model.config.roi;
  const int64_t out = c.align.output_size;
  if (model.pyramid) {  // every level but the pool level
    const std::vector<int64_t> strides = model.backbone->map_strides();
    return multi_scale(g, {maps.begin(), maps.end() - 1}, {strides.begin(), strides.end() - 1}, model.backbone->channels, rois,
                       c.align);
  }
  const double scale = 1.0 / static_cast<double>(model.backbone->stride);
  if (c.method == "align") return roi_align(g, maps[0], rois, out, scale, c.align.sampling_ratio, c.align.aligned);
  if (c.method == "crop_and_resize") {  // roi_align on a grid twice as fine, one sample a bin, then 2 x 2 max pooling
    const std::string fine = roi_align(g, maps[0], rois, 2 * out, scale, 1, false);
    return g.op("MaxPool", {fine}, {MakeAttribute("kernel_shape", std::vector<int64_t>{2, 2}),
                                    MakeAttribute("strides", std::vector<int64_t>{2, 2})});
  }
  // RoIPool: ONNX's MaxRoiPool takes (batch index, x1, y1, x2, y2) rows.
  const std::string index = g.op("Unsqueeze", {g.op("Cast", {zero_per_row(g, rois)}, {MakeAttribute("to", int64_t{Type::FLOAT})}),
                                               g.ints({1})});
  return g.op("MaxRoiPool", {maps[0], g.op("Concat", {index, rois}, {MakeAttribute("axis", int64_t{1})})},
              {MakeAttribute("pooled_shape", std::vector<int64_t>{out, out}), MakeAttribute("spatial_scale", static_cast<float>(scale))});
}

// postprocess() (detection/postprocess.cpp): softmax, every (RoI, class) pair's box decoded from that
// class's deltas and clipped, pairs above the threshold (and min_size), batched NMS through the
// library's offsets (each class's boxes moved past every other's), the best max_per_image.
Boxes postprocess(OnnxGraph& g, const std::string& logits, const std::string& deltas, const std::string& rois, int64_t N,
                  int64_t H, int64_t W, const PostprocessOptions& o) {
  g.scope = "postprocess";
  const std::string probs = g.op("Slice", {g.op("Softmax", {logits}, {MakeAttribute("axis", int64_t{1})}), g.ints({1}),
                                           g.ints({N + 1}), g.ints({1})});
  const std::string S = length(g, rois);
  const std::string pairs = g.op("Concat", {S, g.ints({N, 4})}, {MakeAttribute("axis", int64_t{0})});
  const std::string repeated = g.op("Reshape", {g.op("Expand", {g.op("Unsqueeze", {rois, g.ints({1})}), pairs}), g.ints({-1, 4})});
  std::string boxes = decode_and_clip(g, repeated, g.op("Reshape", {deltas, g.ints({-1, 4})}), o.coding, H, W);
  std::string scores = g.op("Reshape", {probs, g.ints({-1})});
  std::vector<int64_t> classes;
  for (int64_t c = 0; c < N; ++c) classes.push_back(c);
  std::string labels = g.op("Reshape", {g.op("Expand", {g.ints(classes, {1, N}), g.op("Concat", {S, g.ints({N})}, {MakeAttribute("axis", int64_t{0})})}),
                            g.ints({-1})});
  std::string confident = g.op("Greater", {scores, g.scalar(static_cast<float>(o.score_threshold))});
  if (o.min_size > 0) confident = g.op("And", {confident, at_least(g, boxes, o.min_size)});
  auto compress = [&](const std::string& v) { return g.op("Compress", {v, confident}, {MakeAttribute("axis", int64_t{0})}); };
  boxes = compress(boxes);
  scores = compress(scores);
  labels = compress(labels);
  // batched_nms: offsets of label x (the largest coordinate + 1); a 0 joins the coordinates so that an
  // image without a confident box still has a largest one (ours: clipped boxes, never below 0).
  const std::string largest = g.op("ReduceMax", {g.op("Concat", {g.op("Reshape", {boxes, g.ints({-1})}), g.floats({0}, {1})},
                                                      {MakeAttribute("axis", int64_t{0})})},
                                   {MakeAttribute("keepdims", int64_t{0})});
  const std::string offsets = g.op("Mul", {g.op("Cast", {labels}, {MakeAttribute("to", int64_t{Type::FLOAT})}),
                                           g.op("Add", {largest, g.scalar(1)})});
  const std::string moved = g.op("Add", {boxes, g.op("Unsqueeze", {offsets, g.ints({1})})});
  const std::string most = o.max_per_image > 0 ? g.ints({o.max_per_image}) : length(g, boxes);
  const std::string keep = nms_indices(g, moved, g.op("Unsqueeze", {scores, g.ints({0})}), most, o.nms_threshold);
  return {rows(g, boxes, keep), rows(g, scores, keep), rows(g, labels, keep)};
}

// The settings the graph cannot express, refused by name.
void check_exportable(const DetectorConfig& c, const ExportOptions& o) {
  check(o.opset == 16 || o.opset == 17, "export: --opset ", o.opset, ": the exporter writes opset 16 or 17 (RoiAlign's ",
        "coordinate_transformation_mode, which `roi.align.aligned` needs, came with 16)");
  check(c.test.max_per_class == 0, "export: test.max_per_class ", c.test.max_per_class,
        ": a cap per class is not exported (export with --set test.max_per_class=0; rcnn predict takes the same --set)");
}

}  // namespace

ExportSummary export_detector(LoadedDetector& d, const std::string& path, const ExportOptions& options) {
  FasterRcnn& model = *d.model;
  const DetectorConfig& config = model.config;
  check_exportable(config, options);
  const int64_t H = options.height > 0 ? options.height : config.input.shorter_side;
  const int64_t W = options.width > 0 ? options.width : config.input.shorter_side;
  const int64_t PH = model.padded_side(H), PW = model.padded_side(W);
  NoGradGuard no_grad;
  // The maps of an image of this size, for their sizes: the anchors and the RPN's layout are constants.
  const Tensor example = zeros({1, 3, PH, PW});
  const std::vector<Tensor> shapes = model.backbone->forward_maps(example);
  const FasterRcnn::Anchors anchors = model.anchors_for(shapes, example);

  onnx::ModelProto proto;
  proto.set_ir_version(onnx::IR_VERSION);
  proto.set_producer_name("rcnn.cpp");
  proto.set_doc_string("Faster R-CNN exported by `rcnn export` (docs/export.md)");
  onnx::OperatorSetIdProto* opset = proto.add_opset_import();
  opset->set_domain("");
  opset->set_version(options.opset);
  onnx::GraphProto& graph = *proto.mutable_graph();
  graph.set_name("faster_rcnn");
  OnnxGraph g(graph);

  const std::string x = network_input(g, loader_options(config, /*training=*/false), H, W, PH, PW);
  const std::vector<std::string> maps = export_maps(g, *model.backbone, x, "backbone", shapes);
  const RpnValues rpn = rpn_head(g, *model.rpn->head, maps, shapes);
  const BoxCoding& coding = config.rpn.targets.coding;
  const Boxes proposals = model.pyramid
                              ? propose_per_level(g, anchors.boxes, anchors.per_level, rpn, H, W, config.rpn.test, coding)
                              : propose(g, anchors.boxes, rpn, H, W, config.rpn.test, coding);
  Boxes detections;
  if (model.roi_heads) {
    const RcnnHead& head = *model.roi_heads;
    const std::string features = export_layer(g, *head.box_head, pool(g, model, maps, proposals.boxes), "roi_heads.box_head");
    const std::string logits = export_layer(g, *head.box_predictor->cls_score, features, "roi_heads.box_predictor.cls_score");
    std::string deltas = export_layer(g, *head.box_predictor->bbox_pred, features, "roi_heads.box_predictor.bbox_pred");
    if (head.box_predictor->background_deltas) deltas = g.op("Slice", {deltas, g.ints({4}), g.ints({4 * (head.classes + 1)}), g.ints({1})});
    detections = postprocess(g, logits, deltas, proposals.boxes, head.classes, H, W, config.test);
  } else {  // the RPN alone: each proposal an "object" scored by its probability
    g.scope = "postprocess";
    const std::string probability = g.op("Sigmoid", {proposals.scores});
    const std::string confident = g.op("Greater", {probability, g.scalar(static_cast<float>(config.test.score_threshold))});
    auto compress = [&](const std::string& v) { return g.op("Compress", {v, confident}, {MakeAttribute("axis", int64_t{0})}); };
    const std::string scores = compress(probability);
    detections = {compress(proposals.boxes), scores, zero_per_row(g, scores)};
  }
  g.output(detections.boxes, "boxes", Type::FLOAT, {-1, 4});
  g.output(detections.labels, "labels", Type::INT64, {-1});
  g.output(detections.scores, "scores", Type::FLOAT, {-1});

  auto meta = [&](const std::string& key, const std::string& value) {
    onnx::StringStringEntryProto* p = proto.add_metadata_props();
    p->set_key(key);
    p->set_value(value);
  };
  meta("classes", nlohmann::json(config.mode == "rpn" ? std::vector<std::string>{"object"} : d.info.classes).dump());
  meta("input", "image: uint8 (" + std::to_string(H) + ", " + std::to_string(W) +
                    ", 3) RGB, 0-255, as decoded; resize an image to this size first, and divide the boxes by the scale");
  meta("outputs", "boxes: float32 (N, 4) x1 y1 x2 y2 in the input's pixels; labels: int64 (N), an index into classes; "
                  "scores: float32 (N); best first");
  meta("config", to_yaml(config));
  meta("iterations", std::to_string(d.info.iteration));

  try {
    onnx::checker::check_model(proto);
    onnx::shape_inference::InferShapes(proto, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(/*check_type=*/true, /*strict=*/1, /*data_prop=*/true));
  } catch (const std::exception& e) {
    throw Error(concat_message("export: the ONNX checker refused the graph: ", e.what()));
  }
  std::ofstream file(path, std::ios::binary);
  check(file.good() && proto.SerializeToOstream(&file) && file.flush().good(), "export: could not write ", path);
  ExportSummary s;
  s.height = H;
  s.width = W;
  s.nodes = graph.node_size();
  s.bytes = static_cast<int64_t>(proto.ByteSizeLong());
  s.op_types = g.op_types;
  return s;
}

}  // namespace rcnn::onnx_export
