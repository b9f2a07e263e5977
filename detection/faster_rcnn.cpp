#include "detection/faster_rcnn.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "core/storage.h"
#include "detection/anchors.h"
#include "detection/postprocess.h"
#include "detection/proposals.h"
#include "detection/roi_pool.h"
#include "layers/safetensors.h"
#include "models/mobilenet_v2.h"
#include "models/resnet.h"
#include "models/tiny_net.h"
#include "models/vgg16.h"
#include "ops/ops.h"

namespace rcnn {

namespace {

// Freezes the first `count` convolutions met depth first (the order of the network's layers).
void freeze_first_convs(Module& module, int64_t& count) {
  for (const auto& [name, child] : module.children()) {
    if (count == 0) return;
    if (dynamic_cast<nn::Conv2d*>(child.get())) {
      child->freeze();
      --count;
    } else {
      freeze_first_convs(*child, count);
    }
  }
}

// The pretrained weights a config names, into the backbone or the RoI head it brings (by name; a
// classifier's layers in the file are not used).
void load_backbone_weights(Module& part, const BackboneConfig& c) {
  if (c.weights.empty()) return;
  try {
    part.load_parameters(load_safetensors(c.weights), /*strict=*/false);
  } catch (const Error& e) {
    throw Error(concat_message("backbone.weights ", c.weights, ": ", e.what()));
  }
}

}  // namespace

std::shared_ptr<models::Backbone> build_backbone(const BackboneConfig& c, Generator& gen) {
  std::shared_ptr<models::Backbone> backbone;
  if (c.name == "tiny") backbone = std::make_shared<models::TinyNet>(gen);
  if (c.name == "vgg16") backbone = std::make_shared<models::VGG16>(c.width_divisor, /*include_last_pool=*/false, gen);
  if (c.name == "mobilenet_v2") backbone = std::make_shared<models::MobileNetV2>(/*classes=*/0, gen);
  if (c.name == "resnet50_c4") backbone = std::make_shared<models::ResNet50C4>(gen);
  check(backbone != nullptr, "build_backbone: unknown backbone '", c.name, "'");
  load_backbone_weights(*backbone, c);
  int64_t frozen = c.frozen_convs;
  freeze_first_convs(*backbone, frozen);
  check(frozen == 0, "backbone.frozen_convs: ", c.frozen_convs, " is more than the ", c.name, " backbone's convolutions");
  return backbone;
}

FasterRcnn::FasterRcnn(const DetectorConfig& config, int64_t classes, Generator& gen)
    : config(config), classes(classes), backbone(register_module("backbone", build_backbone(config.backbone, gen))) {
  check(classes >= 1, "FasterRcnn: ", classes, " classes");
  check(config.anchors.stride == backbone->stride, "anchors.stride is ", config.anchors.stride, " but the ",
        config.backbone.name, " backbone's feature map has stride ", backbone->stride);
  rpn = register_module("rpn", std::make_shared<RegionProposalNetwork>(backbone->channels, config.rpn,
                                                                        config.anchors.count(), gen));
  if (config.mode == "faster_rcnn") {
    const models::Backbone::RoiHead own = backbone->roi_head(gen);
    const int64_t size = config.roi.align.output_size;
    if (own.layer) load_backbone_weights(*own.layer, config.backbone);
    roi_heads = register_module(
        "roi_heads", own.layer ? std::make_shared<RcnnHead>(own.layer, own.features, classes, gen)
                               : std::make_shared<RcnnHead>(backbone->channels * size * size, config.rcnn.hidden, classes,
                                                            config.rcnn.dropout, gen));
  }
  release_host_cache();  // what building left cached (initialisers' slices, weights read from files)
}

FasterRcnn::Proposed FasterRcnn::propose_regions(const Tensor& image, const ProposalOptions& options) {
  Proposed p;
  p.features = backbone->forward(unsqueeze(image, 0));
  stage("backbone");
  p.anchors = grid_anchors(config.anchors, p.features.size(2), p.features.size(3), image.device());
  p.rpn = rpn->head->predict(p.features);
  stage("rpn_head");
  // A diverged network shows here first; the proposals would stop at its NaN boxes with a vaguer message.
  if (!std::isfinite((sum(p.rpn.objectness) + sum(p.rpn.deltas)).item()))
    throw NotFinite("the RPN's outputs are not finite");
  // Two logits per anchor (the paper's softmax): their difference orders anchors as the object
  // probability does, and sigmoid of it is that probability.
  const Tensor objectness = reshape(narrow(p.rpn.objectness, 1, 1, 1) - narrow(p.rpn.objectness, 1, 0, 1), {-1});
  p.proposals = propose(p.anchors, objectness, p.rpn.deltas, image.size(1), image.size(2), options,
                        config.rpn.targets.coding);
  stage("proposals");
  return p;
}

Tensor FasterRcnn::pool(const Tensor& features, const Tensor& rois) const {
  const Tensor batch_index = zeros({rois.size(0)}, {kInt64, rois.device()});
  RoiAlignOptions o = config.roi.align;
  o.spatial_scale = 1.0 / static_cast<double>(backbone->stride);
  if (config.roi.method == "align") return roi_align(features, rois, batch_index, o);
  if (config.roi.method == "pool") return roi_pool(features, rois, batch_index, {o.output_size, o.spatial_scale});
  return crop_and_resize(features, rois, batch_index, o.output_size, o.spatial_scale);
}

DetectorLosses FasterRcnn::losses(const Sample& sample, Generator& gen) {
  check(sample.error.empty(), "FasterRcnn::losses: sample ", sample.id, " could not be loaded: ", sample.error);
  const Device device = this->device();
  const Tensor image = sample.image.to(device);
  const int64_t H = image.size(1), W = image.size(2);
  // Difficult objects are left out of training, as in py-faster-rcnn (neither object nor background).
  std::vector<Box> boxes;
  std::vector<int64_t> labels;
  for (size_t i = 0; i < sample.boxes.size(); ++i) {
    if (i < sample.difficult.size() && sample.difficult[i]) continue;
    boxes.push_back(sample.boxes[i]);
    labels.push_back(sample.labels[i]);
  }
  const Tensor truth = boxes_tensor(boxes).to(device);
  const Tensor truth_classes = from_vector(labels, {static_cast<int64_t>(labels.size())}, device);

  const Proposed p = propose_regions(image, config.rpn.train);
  const RpnTargets rpn_t = rpn_targets(p.anchors, truth, H, W, config.rpn.targets, gen);
  const RpnLosses rpn_l = rpn_losses(p.rpn, rpn_t, config.rpn.sigma);
  stage("rpn_targets");
  DetectorLosses l;
  l.rpn_class = rpn_l.objectness;
  l.rpn_box = rpn_l.box;
  l.total = rpn_l.objectness * config.rpn.class_weight + rpn_l.box * config.rpn.box_weight;
  if (!roi_heads) {
    l.rcnn_class = l.rcnn_box = zeros({}, l.total.options());
    return l;
  }
  const RcnnSample s = rcnn_targets(p.proposals.boxes, truth, truth_classes, config.rcnn.targets, gen);
  stage("rcnn_targets");
  const Tensor pooled = pool(p.features, s.rois);
  stage("roi_pool");
  const RcnnLosses rcnn_l = rcnn_losses(roi_heads->predict(pooled), s, config.rcnn.sigma);
  stage("rcnn_head");
  l.rcnn_class = rcnn_l.classification;
  l.rcnn_box = rcnn_l.box;
  l.total = l.total + rcnn_l.classification * config.rcnn.class_weight + rcnn_l.box * config.rcnn.box_weight;
  return l;
}

Proposals FasterRcnn::proposals(const Sample& sample) {
  NoGradGuard no_grad;
  return propose_regions(sample.image.to(device()), config.rpn.test).proposals;
}

std::vector<Detection> FasterRcnn::detect(const Sample& sample) {
  check(sample.error.empty(), "FasterRcnn::detect: sample ", sample.id, " could not be loaded: ", sample.error);
  NoGradGuard no_grad;
  const Tensor image = sample.image.to(device());
  const int64_t H = image.size(1), W = image.size(2);
  const Proposed p = propose_regions(image, config.rpn.test);
  if (roi_heads) {
    const Tensor pooled = pool(p.features, p.proposals.boxes);
    stage("roi_pool");
    const RcnnHead::Outputs out = roi_heads->predict(pooled);
    stage("rcnn_head");
    std::vector<Detection> detections = postprocess(out, p.proposals.boxes, H, W, sample.scale, sample.id, config.test);
    stage("postprocess");
    return detections;
  }
  // The RPN alone: every proposal is an "object" scored by its probability.
  const std::vector<Box> boxes = box_list(p.proposals.boxes);
  const std::vector<double> scores = sigmoid(p.proposals.scores).cpu().to(kFloat64).to_vector<double>();
  std::vector<Detection> detections;
  for (size_t i = 0; i < boxes.size(); ++i) {
    const Box& b = boxes[i];
    const double s = sample.scale;
    if (scores[i] > config.test.score_threshold)
      detections.push_back({sample.id, 0, scores[i], {b.x1 / s, b.y1 / s, b.x2 / s, b.y2 / s}});
  }
  return detections;
}

}  // namespace rcnn
