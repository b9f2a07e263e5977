#pragma once
// The Region Proposal Network (Faster R-CNN, section 3.1): a small head slid over the backbone's
// feature map that scores every anchor as object or not and regresses a box from it; its targets
// (which anchors are objects, and where their boxes are) and its two losses (equation 1).
#include "core/rng.h"
#include "detection/boxes.h"
#include "detection/matcher.h"
#include "layers/modules.h"

namespace rcnn {

// 3x3 conv + ReLU, then two 1x1 convs: objectness logits and 4A box deltas per cell. Parameter
// names as torchvision's rpn.head (conv, cls_logits, bbox_pred); weights N(0, 0.01), biases 0, as in
// the paper's code. The paper scores each anchor with two logits and a softmax (logits_per_anchor 2);
// torchvision's RPNHead with one and a sigmoid (1; its 3x3 conv then sits at conv.0.0, as in
// torchvision >= 0.13). One logit x is given out as the pair (0, x): the softmax of that pair is the
// sigmoid of x, so one loss (cross-entropy) and one ordering (the pair's difference) serve both.
class RpnHead : public Module {
 public:
  RpnHead(int64_t in_channels, int64_t mid_channels, int64_t anchors, Generator& gen, int64_t logits_per_anchor = 2);

  struct Outputs {
    Tensor objectness;  // (B H W A, 2) logits (background, object), rows in grid_anchors' (h, w, a) order,
    Tensor deltas;      // (B H W A, 4)   image after image
  };
  // features: (B, C, H, W).
  Outputs predict(const Tensor& features);
  // One head over every level of a pyramid (B, C, H_l, W_l): rows image by image, within an image
  // level by level (pyramid_anchors' order).
  Outputs predict(const std::vector<Tensor>& maps);

  std::shared_ptr<nn::Conv2d> conv, cls_logits, bbox_pred;
  int64_t anchors, logits_per_anchor;
};

// One logit per anchor, (A): the difference of its two (the object's minus the background's), which
// orders anchors as the object probability does; its sigmoid is that probability.
Tensor object_logits(const RpnHead::Outputs& rpn);

struct RpnTargetOptions {
  MatcherOptions matcher{0.7, 0.3, true};
  int64_t batch_size = 256;          // anchors sampled per image
  double positive_fraction = 0.5;    // at most half of them objects
  double allowed_border = 0;         // anchors reaching further outside the image are ignored (paper)
  BoxCoding coding;
};

struct RpnTargets {
  Tensor labels;       // int64 (A): 1 object, 0 background, -1 not sampled (cross_entropy ignores it)
  Tensor box_targets;  // (A, 4): the coded ground-truth box of each object anchor (0 elsewhere)
  Tensor box_weights;  // (A, 1): 1 for sampled object anchors, 0 elsewhere
  int64_t sampled = 0;
};

// anchors (A, 4), ground truth boxes (G, 4) (G may be 0: every sampled anchor is background).
RpnTargets rpn_targets(const Tensor& anchors, const Tensor& truth, int64_t image_h, int64_t image_w,
                       const RpnTargetOptions& options, Generator& gen);

struct RpnLosses {
  Tensor objectness;  // cross-entropy over the sampled anchors, their mean
  Tensor box;         // Smooth L1 (sigma 3) over sampled object anchors, divided by the sampled count
};
RpnLosses rpn_losses(const RpnHead::Outputs& outputs, const RpnTargets& targets, double sigma = 3);

}  // namespace rcnn
