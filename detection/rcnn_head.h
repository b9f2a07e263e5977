#pragma once
// The Fast R-CNN head on pooled RoIs (Fast R-CNN, sections 2.2-2.3): two fully connected layers, then a
// class score for each of N classes plus background, and class-specific box deltas; its targets (the
// proposals, with the ground truth added, matched and sampled) and its losses.
#include "core/rng.h"
#include "detection/boxes.h"
#include "detection/matcher.h"
#include "layers/modules.h"

namespace rcnn {

// fc6 -> ReLU -> dropout -> fc7 -> ReLU -> dropout (torchvision's TwoMLPHead, named box_head.fc6/fc7).
class BoxHead : public Layer {
 public:
  BoxHead(int64_t in_features, int64_t hidden, double dropout, Generator& gen);
  Tensor forward(const Tensor& x) override;  // (S, ...) -> (S, hidden)
  std::shared_ptr<nn::Linear> fc6, fc7;
  std::shared_ptr<nn::Dropout> drop;
};

// The class scores (N + 1, background first) and the class-specific deltas (4 N), named as torchvision's
// box_predictor.cls_score / .bbox_pred. Weights N(0, 0.01) and N(0, 0.001), biases 0 (the paper's code).
// background_deltas: bbox_pred also has the 4 deltas of background that torchvision's FastRCNNPredictor
// keeps (4 (N + 1) outputs, so its weights load); they are never used, nor trained.
class BoxPredictor : public Module {
 public:
  BoxPredictor(int64_t hidden, int64_t classes, Generator& gen, bool background_deltas = false);
  std::shared_ptr<nn::Linear> cls_score, bbox_pred;
  bool background_deltas;
};

class RcnnHead : public Module {
 public:
  // With the two fully connected layers (BoxHead). pooled_features: C x out x out of one pooled RoI;
  // classes: N, without background.
  RcnnHead(int64_t pooled_features, int64_t hidden, int64_t classes, double dropout, Generator& gen,
           bool background_deltas = false);
  // With any head that turns pooled RoIs into (S, hidden) features (e.g. ResNet's conv5 stage).
  RcnnHead(std::shared_ptr<Layer> box_head, int64_t hidden, int64_t classes, Generator& gen,
           bool background_deltas = false);

  struct Outputs {
    Tensor class_logits;  // (S, N + 1): column 0 is background
    Tensor deltas;        // (S, 4 N): class c's (c = 1..N) deltas in columns 4 (c - 1) .. 4 (c - 1) + 3
  };
  Outputs predict(const Tensor& pooled);  // (S, C, out, out)

  std::shared_ptr<Layer> box_head;
  std::shared_ptr<BoxPredictor> box_predictor;
  int64_t classes;
};

struct RcnnTargetOptions {
  double fg_iou = 0.5;            // IoU >= 0.5 with a ground-truth box: that box's class
  double bg_iou_lo = 0.0;         // IoU in [bg_iou_lo, fg_iou): background (py-faster-rcnn's base: 0.1)
  int64_t batch_size = 128;       // RoIs sampled per image
  double positive_fraction = 0.25;
  BoxCoding coding;

  static RcnnTargetOptions paper() { return {}; }
  static RcnnTargetOptions luminoth() { return {0.5, 0.0, 256, 0.25, {}}; }
};

struct RcnnSample {
  Tensor rois;         // (S, 4): the sampled proposals (ground-truth boxes among them)
  Tensor labels;       // int64 (S): 1..N for objects (class + 1), 0 for background
  Tensor box_targets;  // (S, 4): each object RoI's coded ground-truth box (0 for background)
};

// proposals (P, 4); truth boxes (G, 4) with classes int64 (G) in [0, N). The ground truth is added
// to the proposals, so every object has a perfect RoI to learn from early in training.
RcnnSample rcnn_targets(const Tensor& proposals, const Tensor& truth, const Tensor& truth_classes,
                        const RcnnTargetOptions& options, Generator& gen);

struct RcnnLosses {
  Tensor classification;  // cross-entropy over the sampled RoIs, their mean
  Tensor box;             // Smooth L1 (sigma 1) of the true class's 4 deltas, over objects / sampled count
};
RcnnLosses rcnn_losses(const RcnnHead::Outputs& outputs, const RcnnSample& sample, double sigma = 1);

}  // namespace rcnn
