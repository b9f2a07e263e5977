#pragma once
// Region proposals (Faster R-CNN, section 3.1 and py-faster-rcnn's proposal layer): the RPN's box
// deltas applied to the anchors, cut to the image, small boxes dropped, the best pre_nms_top_n by
// objectness kept, NMS, and the best post_nms_top_n of what remains. Nothing flows back through them
// (the paper's approximate joint training): deltas and scores are detached.
#include <vector>

#include "core/tensor.h"
#include "detection/boxes.h"

namespace rcnn {

struct ProposalOptions {
  int64_t pre_nms_top_n = 12000;
  double nms_threshold = 0.7;
  int64_t post_nms_top_n = 2000;
  double min_size = 16;  // pixels of the (resized) image the anchors live in

  static ProposalOptions paper_train() { return {}; }
  static ProposalOptions paper_test() { return {6000, 0.7, 300, 16}; }
  static ProposalOptions luminoth() { return {12000, 0.7, 2000, 16}; }  // the seed article: train and test
};

// The RPN's outputs are not finite: training has diverged (or a checkpoint holds such weights).
struct NotFinite : Error {
  using Error::Error;
};

struct Proposals {
  Tensor boxes;   // (P, 4), P <= post_nms_top_n, in decreasing score
  Tensor scores;  // (P): the objectness logits of the kept boxes
};

// anchors (A, 4), objectness (A) (a logit per anchor: higher is more object-like), deltas (A, 4),
// all on one device; image_h x image_w: the image the anchors cover. Throws NotFinite where objectness
// or deltas hold NaN or infinity (a diverged network), before NaN boxes could reach RoI pooling.
Proposals propose(const Tensor& anchors, const Tensor& objectness, const Tensor& deltas, int64_t image_h,
                  int64_t image_w, const ProposalOptions& options = {}, const BoxCoding& coding = {});

// A feature pyramid's proposals, as torchvision's RPN.filter_proposals makes them: the best
// pre_nms_top_n of each level by objectness (so the fine levels' many small anchors cannot crowd out
// the coarse ones), decoded, cut to the image, boxes under min_size dropped, NMS within each level,
// then the best post_nms_top_n of all levels by score. per_level: each level's anchor count (the rows
// of anchors, objectness and deltas, level after level).
Proposals propose_per_level(const Tensor& anchors, const Tensor& objectness, const Tensor& deltas,
                            const std::vector<int64_t>& per_level, int64_t image_h, int64_t image_w,
                            const ProposalOptions& options = {}, const BoxCoding& coding = {});

}  // namespace rcnn
