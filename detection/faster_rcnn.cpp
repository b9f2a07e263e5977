#include "detection/faster_rcnn.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "core/storage.h"
#include "detection/anchors.h"
#include "detection/multi_scale_roi_align.h"
#include "detection/postprocess.h"
#include "detection/proposals.h"
#include "detection/roi_pool.h"
#include "layers/safetensors.h"
#include "models/fpn.h"
#include "models/mobilenet_v2.h"
#include "models/resnet.h"
#include "models/tiny_net.h"
#include "models/vgg16.h"
#include "ops/checks.h"
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
  check(c.stride == 0 || c.name == "tiny" || c.name == "vgg16", "backbone.stride: ", c.stride,
        " is for tiny and vgg16 only; ", c.name, " has the stride of its own (leave it out, or 0)");
  const int64_t stride = c.stride == 0 ? 16 : c.stride;
  if (c.name == "tiny") backbone = std::make_shared<models::TinyNet>(stride, gen);
  if (c.name == "vgg16") backbone = std::make_shared<models::VGG16>(c.width_divisor, stride, gen);
  if (c.name == "mobilenet_v2") backbone = std::make_shared<models::MobileNetV2>(/*classes=*/0, gen);
  if (c.name == "resnet50_c4") backbone = std::make_shared<models::ResNet50C4>(gen);
  if (c.name == "resnet50") backbone = std::make_shared<models::ResNet50>(/*classes=*/0, gen);
  check(backbone != nullptr, "build_backbone: unknown backbone '", c.name, "'");
  load_backbone_weights(*backbone, c);
  int64_t frozen = c.frozen_convs;
  freeze_first_convs(*backbone, frozen);
  check(frozen == 0, "backbone.frozen_convs: ", c.frozen_convs, " is more than the ", c.name, " backbone's convolutions");
  if (c.fpn_levels.empty()) return backbone;
  try {
    return std::make_shared<models::BackboneWithFpn>(backbone, c.fpn_levels, c.fpn_channels, gen);
  } catch (const Error& e) {
    throw Error(concat_message("backbone.fpn_levels on ", c.name, ": ", e.what()));
  }
}

FasterRcnn::FasterRcnn(const DetectorConfig& config, int64_t classes, Generator& gen)
    : config(config),
      classes(classes),
      pyramid(!config.backbone.fpn_levels.empty()),
      backbone(register_module("backbone", build_backbone(config.backbone, gen))) {
  check(classes >= 1, "FasterRcnn: ", classes, " classes");
  check(config.anchors.stride == backbone->stride, "anchors.stride is ", config.anchors.stride, " but the ",
        config.backbone.name, pyramid ? " pyramid's finest map" : " backbone's feature map", " has stride ",
        backbone->stride);
  const auto levels = static_cast<int64_t>(backbone->map_strides().size());
  check(!pyramid || static_cast<int64_t>(config.anchors.sizes.size()) == levels, "anchors.sizes: the pyramid has ",
        levels, " levels (fpn_levels and its pool level), one anchor size each; ", config.anchors.sizes.size(),
        " sizes given");
  check(!pyramid || config.roi.method == "align", "roi.method: a pyramid pools its RoIs with align (MultiScaleRoIAlign), not ",
        config.roi.method);
  // A pyramid's RPN is torchvision's: one size per level, so ratios-many anchors per cell, one logit each.
  rpn = register_module("rpn", std::make_shared<RegionProposalNetwork>(
                                   backbone->channels, config.rpn,
                                   pyramid ? static_cast<int64_t>(config.anchors.ratios.size()) : config.anchors.count(),
                                   pyramid ? 1 : 2, gen));
  if (config.mode == "faster_rcnn") {
    const models::Backbone::RoiHead own = backbone->roi_head(gen);
    const int64_t size = config.roi.align.output_size;
    if (own.layer) load_backbone_weights(*own.layer, config.backbone);
    roi_heads = register_module(
        "roi_heads", own.layer ? std::make_shared<RcnnHead>(own.layer, own.features, classes, gen)
                               : std::make_shared<RcnnHead>(backbone->channels * size * size, config.rcnn.hidden, classes,
                                                            config.rcnn.dropout, gen, /*background_deltas=*/pyramid));
  }
  release_host_cache();  // what building left cached (initialisers' slices, weights read from files)
}

namespace {

// Images (3, h, w) in one (B, 3, H, W) batch, each at the top left, zeros (the mean colour) around:
// as large as the largest, rounded up to a multiple of the stride where their sizes differ (always,
// for a pyramid: as torchvision, so its levels halve exactly), and at least the stride each way (a
// strip thinner than that, a 600 x 1 upload, would leave the backbone no feature cell). Padding at the
// bottom and right moves no box. One image that needs none is not copied.
int64_t padded(int64_t side, int64_t stride, bool round) {
  return std::max(round ? (side + stride - 1) / stride * stride : side, stride);
}

Tensor batch_images(const std::vector<Tensor>& images, int64_t stride, bool always_round) {
  int64_t H = 0, W = 0;
  bool same = true;
  for (const Tensor& image : images) {
    same = same && image.shape() == images[0].shape();
    H = std::max(H, image.size(1));
    W = std::max(W, image.size(2));
  }
  H = padded(H, stride, !same || always_round);
  W = padded(W, stride, !same || always_round);
  if (images.size() == 1 && images[0].size(1) == H && images[0].size(2) == W) return unsqueeze(images[0], 0);
  const int64_t B = static_cast<int64_t>(images.size());
  Tensor batch = zeros({B, 3, H, W});
  float* out = batch.data<float>();
  for (int64_t b = 0; b < B; ++b) {
    const Tensor image = images[static_cast<size_t>(b)].cpu();
    const float* in = image.data<float>();
    const int64_t h = image.size(1), w = image.size(2);
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t y = 0; y < h; ++y) std::copy_n(in + (c * h + y) * w, w, out + ((b * 3 + c) * H + y) * W);
  }
  return batch.to(images[0].device());
}

}  // namespace

int64_t FasterRcnn::padded_side(int64_t side) const { return padded(side, backbone->size_divisible(), pyramid); }

FasterRcnn::Anchors FasterRcnn::anchors_for(const std::vector<Tensor>& maps, const Tensor& batch) const {
  if (!pyramid) {
    const Tensor boxes = grid_anchors(config.anchors, maps[0].size(2), maps[0].size(3), batch.device());
    return {boxes, {boxes.size(0)}};
  }
  std::vector<std::pair<int64_t, int64_t>> sizes;
  for (const Tensor& m : maps) sizes.emplace_back(m.size(2), m.size(3));
  PyramidAnchors a = pyramid_anchors(config.anchors, batch.size(2), batch.size(3), sizes, batch.device());
  return {a.anchors, a.per_level};
}

Proposals FasterRcnn::propose(const Anchors& anchors, const Tensor& objectness, const Tensor& deltas, int64_t image_h,
                              int64_t image_w, const ProposalOptions& options) const {
  const BoxCoding& coding = config.rpn.targets.coding;
  return pyramid ? propose_per_level(anchors.boxes, objectness, deltas, anchors.per_level, image_h, image_w, options, coding)
                 : rcnn::propose(anchors.boxes, objectness, deltas, image_h, image_w, options, coding);
}

FasterRcnn::Proposed FasterRcnn::propose_regions(const Tensor& image, const ProposalOptions& options) {
  Proposed p;
  const Tensor batch = batch_images({image}, backbone->size_divisible(), pyramid);
  p.maps = backbone->forward_maps(batch);
  stage("backbone");
  p.anchors = anchors_for(p.maps, batch);
  p.rpn = rpn->head->predict(p.maps);
  stage("rpn_head");
  p.proposals = propose(p.anchors, object_logits(p.rpn), p.rpn.deltas, image.size(1), image.size(2), options);
  stage("proposals");
  return p;
}

Tensor FasterRcnn::pool(const std::vector<Tensor>& maps, const Tensor& rois, const Tensor& batch_index) const {
  const Tensor index = batch_index.defined() ? batch_index : zeros({rois.size(0)}, {kInt64, rois.device()});
  RoiAlignOptions o = config.roi.align;
  if (pyramid) {  // every level but the pool level (the RPN's alone), as torchvision's MultiScaleRoIAlign
    const std::vector<int64_t> strides = backbone->map_strides();
    return multi_scale_roi_align({maps.begin(), maps.end() - 1}, {strides.begin(), strides.end() - 1}, rois, index, o);
  }
  const Tensor& features = maps[0];
  o.spatial_scale = 1.0 / static_cast<double>(backbone->stride);
  if (config.roi.method == "align") return roi_align(features, rois, index, o);
  if (config.roi.method == "pool") return roi_pool(features, rois, index, {o.output_size, o.spatial_scale});
  return crop_and_resize(features, rois, index, o.output_size, o.spatial_scale);
}

namespace {


// The objects training learns from: difficult ones are left out, as in py-faster-rcnn (neither object
// nor background). Their values are checked while they are still on the host, so that the step's box
// ops need not read them back from a GPU (TrustedGpuValues).
std::pair<Tensor, Tensor> training_truth(const Sample& sample, Device device) {
  std::vector<Box> boxes;
  std::vector<int64_t> labels;
  for (size_t i = 0; i < sample.boxes.size(); ++i) {
    if (i < sample.difficult.size() && sample.difficult[i]) continue;
    boxes.push_back(sample.boxes[i]);
    labels.push_back(sample.labels[i]);
  }
  const Tensor host = boxes_tensor(boxes);
  check_boxes(("FasterRcnn::losses: sample " + sample.id).c_str(), host);
  return {host.to(device), from_vector(labels, {static_cast<int64_t>(labels.size())}, device)};
}

}  // namespace

DetectorLosses FasterRcnn::losses(const Sample& sample, Generator& gen) { return losses(std::vector<Sample>{sample}, gen); }

DetectorLosses FasterRcnn::losses(const std::vector<Sample>& batch, Generator& gen,
                                  const std::function<void(size_t)>& before_image) {
  check(!batch.empty(), "FasterRcnn::losses: an empty batch");
  for (const Sample& s : batch)
    check(s.error.empty(), "FasterRcnn::losses: sample ", s.id, " could not be loaded: ", s.error);
  const Device device = this->device();
  const size_t B = batch.size();
  const TrustedGpuValues trusted;
  std::vector<Tensor> images;
  for (const Sample& s : batch) images.push_back(s.image.cpu());
  const Tensor images_batch = batch_images(images, backbone->size_divisible(), pyramid).to(device);
  const std::vector<Tensor> maps = backbone->forward_maps(images_batch);
  stage("backbone");
  const Anchors anchor_set = anchors_for(maps, images_batch);
  const Tensor& anchors = anchor_set.boxes;
  const RpnHead::Outputs rpn_out = rpn->head->predict(maps);  // rows: image by image
  stage("rpn_head");
  const Tensor objectness = object_logits(rpn_out);
  const int64_t A = anchors.size(0);
  auto image_rows = [&](const Tensor& t, size_t i) { return B == 1 ? t : narrow(t, 0, static_cast<int64_t>(i) * A, A); };

  // Dropout draws its masks as the R-CNN head runs: with dropout, each image's RoIs go through the head
  // right after its own samples, so its draws stay in one image's order; without, all RoIs in one call.
  const bool head_per_image = roi_heads && config.rcnn.dropout > 0;
  std::vector<Tensor> totals(B), rpn_class(B), rpn_box(B), rcnn_class(B), rcnn_box(B);
  std::vector<RcnnSample> samples(B);
  std::vector<RcnnHead::Outputs> outputs(B);
  for (size_t i = 0; i < B; ++i) {
    const int64_t H = batch[i].image.size(1), W = batch[i].image.size(2);
    const auto [truth, truth_classes] = training_truth(batch[i], device);
    const RpnHead::Outputs rpn_i{image_rows(rpn_out.objectness, i), image_rows(rpn_out.deltas, i)};
    const Proposals proposals = propose(anchor_set, image_rows(objectness, i), rpn_i.deltas, H, W, config.rpn.train);
    stage("proposals");
    if (before_image) before_image(i);
    const RpnLosses rpn_l = rpn_losses(rpn_i, rpn_targets(anchors, truth, H, W, config.rpn.targets, gen), config.rpn.sigma);
    stage("rpn_targets");
    rpn_class[i] = rpn_l.objectness;
    rpn_box[i] = rpn_l.box;
    totals[i] = rpn_l.objectness * config.rpn.class_weight + rpn_l.box * config.rpn.box_weight;
    if (!roi_heads) continue;
    samples[i] = rcnn_targets(proposals.boxes, truth, truth_classes, config.rcnn.targets, gen);
    stage("rcnn_targets");
    if (head_per_image) {
      std::vector<Tensor> image_maps = maps;
      if (B > 1)
        for (Tensor& m : image_maps) m = narrow(m, 0, static_cast<int64_t>(i), 1);
      const Tensor pooled = pool(image_maps, samples[i].rois);
      stage("roi_pool");
      outputs[i] = roi_heads->predict(pooled);
      stage("rcnn_head");
    }
  }
  if (roi_heads && !head_per_image) {  // every image's RoIs, each with its batch index, in one call
    std::vector<Tensor> rois, index;
    for (size_t i = 0; i < B; ++i) {
      rois.push_back(samples[i].rois);
      index.push_back(full({samples[i].rois.size(0)}, static_cast<double>(i), {kInt64, device}));
    }
    const Tensor pooled = B == 1 ? pool(maps, rois[0]) : pool(maps, concat(rois, 0), concat(index, 0));
    stage("roi_pool");
    const RcnnHead::Outputs all = roi_heads->predict(pooled);
    int64_t start = 0;
    for (size_t i = 0; i < B; ++i) {
      const int64_t n = samples[i].rois.size(0);
      outputs[i] = B == 1 ? all : RcnnHead::Outputs{narrow(all.class_logits, 0, start, n), narrow(all.deltas, 0, start, n)};
      start += n;
    }
  }
  for (size_t i = 0; roi_heads && i < B; ++i) {
    const RcnnLosses rcnn_l = rcnn_losses(outputs[i], samples[i], config.rcnn.sigma);
    rcnn_class[i] = rcnn_l.classification;
    rcnn_box[i] = rcnn_l.box;
    totals[i] = totals[i] + rcnn_l.classification * config.rcnn.class_weight + rcnn_l.box * config.rcnn.box_weight;
  }
  if (roi_heads && !head_per_image) stage("rcnn_head");
  // The means over the images (one image: its own losses, as they are).
  auto mean = [&](const std::vector<Tensor>& xs) {
    if (!xs[0].defined()) return zeros({}, totals[0].options());
    Tensor total = xs[0];
    for (size_t i = 1; i < B; ++i) total = total + xs[i];
    return B == 1 ? total : total * (1.0 / static_cast<double>(B));
  };
  return {mean(rpn_class), mean(rpn_box), mean(rcnn_class), mean(rcnn_box), mean(totals)};
}

Proposals FasterRcnn::proposals(const Sample& sample) {
  NoGradGuard no_grad;
  const TrustedGpuValues trusted;
  return propose_regions(sample.image.to(device()), config.rpn.test).proposals;
}

std::vector<Detection> FasterRcnn::detect(const Sample& sample) {
  check(sample.error.empty(), "FasterRcnn::detect: sample ", sample.id, " could not be loaded: ", sample.error);
  NoGradGuard no_grad;
  const TrustedGpuValues trusted;
  const Tensor image = sample.image.to(device());
  const int64_t H = image.size(1), W = image.size(2);
  const Proposed p = propose_regions(image, config.rpn.test);
  if (roi_heads) {
    const Tensor pooled = pool(p.maps, p.proposals.boxes);
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
