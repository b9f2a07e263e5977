#pragma once
// Faster R-CNN (Ren et al. 2015): a backbone's feature map, the RPN's proposals on it, RoI pooling of
// the proposals, and the R-CNN head's classes and boxes. Two named entry points, never a forward that
// changes meaning with train/eval mode: losses() for training (approximate joint training, section 3.2:
// the four losses summed, no gradient through the proposals' coordinates) and detect() for inference.
// Parameter names follow torchvision's FasterRCNN (backbone.*, rpn.head.*, roi_heads.box_head.*,
// roi_heads.box_predictor.*), so weights map by name. In mode "rpn" the RPN alone is trained and
// evaluated: a class-agnostic detector whose score is the objectness.
#include <functional>
#include <memory>
#include <vector>

#include "core/rng.h"
#include "datasets/loader.h"
#include "detection/config.h"
#include "detection/proposals.h"
#include "detection/rcnn_head.h"
#include "detection/rpn.h"
#include "detection/voc_eval.h"
#include "models/backbone.h"

namespace rcnn {

// The backbone a config names, its first `frozen_convs` convolutions frozen and its weights loaded
// when the config gives a file.
std::shared_ptr<models::Backbone> build_backbone(const BackboneConfig& config, Generator& gen);

struct DetectorLosses {
  Tensor rpn_class, rpn_box, rcnn_class, rcnn_box;  // scalars (the R-CNN's are 0 in mode "rpn")
  Tensor total;                                     // their sum, each times its weight in the config
};

class RegionProposalNetwork : public Module {
 public:
  RegionProposalNetwork(int64_t in_channels, const RpnConfig& config, int64_t anchors, int64_t logits_per_anchor,
                        Generator& gen)
      : head(register_module("head", std::make_shared<RpnHead>(in_channels, config.channels, anchors, gen,
                                                                logits_per_anchor))) {}
  std::shared_ptr<RpnHead> head;
};

class FasterRcnn : public Module {
 public:
  // classes: N object classes (the R-CNN scores N + 1 with background). `gen` draws the initial
  // weights and, for the life of the model, the dropout masks: it must outlive the model.
  FasterRcnn(const DetectorConfig& config, int64_t classes, Generator& gen);

  // One image (sample.image (3, H, W) normalised, boxes and labels at the network's scale); `gen`
  // draws the RPN's and the R-CNN's balanced samples.
  DetectorLosses losses(const Sample& sample, Generator& gen);
  // B images in one pass: padded into one (B, 3, H, W) batch (where their sizes differ, to the largest
  // rounded up to a multiple of the backbone's stride, as torchvision's GeneralizedRCNNTransform does),
  // one backbone and RPN-head call, then for each image its own size for the anchors' border rule and
  // the proposals' clipping, its own samples and losses, its RoIs pooled with its batch index; the
  // losses are the means over the images. before_image(i), when given, runs before image i's draws
  // from `gen`, which come in the order one image's losses() makes them, dropout masks included, so B
  // images of one size give what B calls of losses() give (tested).
  DetectorLosses losses(const std::vector<Sample>& batch, Generator& gen,
                        const std::function<void(size_t image)>& before_image = {});
  // Boxes in the original image (sample.scale undone), scored above config.test.score_threshold.
  std::vector<Detection> detect(const Sample& sample);
  // The RPN's proposals for one image as detect() sees them (test settings), in the network's pixels,
  // best first; scores are objectness logits (sigmoid gives the probability).
  Proposals proposals(const Sample& sample);

  // Called, when set, as each stage of losses() and detect() ends ("backbone", "rpn_head", "proposals",
  // "rpn_targets", "rcnn_targets", "roi_pool", "rcnn_head", "postprocess"): bench_detector times them.
  std::function<void(const char* stage)> after_stage;

  const DetectorConfig config;
  const int64_t classes;
  const bool pyramid;  // config.backbone.fpn_levels given: the backbone gives several maps
  std::shared_ptr<models::Backbone> backbone;
  std::shared_ptr<RegionProposalNetwork> rpn;
  std::shared_ptr<RcnnHead> roi_heads;  // null in mode "rpn"

  // The side one image's batch has for an image side of `side` pixels (what detect() pads it to).
  int64_t padded_side(int64_t side) const;
  struct Anchors {
    Tensor boxes;                    // every map's, finest first
    std::vector<int64_t> per_level;  // how many each map has
  };
  // The anchors of maps computed from `batch` (B, 3, H, W).
  Anchors anchors_for(const std::vector<Tensor>& maps, const Tensor& batch) const;

 private:
  Proposals propose(const Anchors& anchors, const Tensor& objectness, const Tensor& deltas, int64_t image_h,
                    int64_t image_w, const ProposalOptions& options) const;
  struct Proposed {
    std::vector<Tensor> maps;
    Anchors anchors;
    RpnHead::Outputs rpn;
    Proposals proposals;
  };
  Proposed propose_regions(const Tensor& image, const ProposalOptions& options);
  Tensor pool(const std::vector<Tensor>& maps, const Tensor& rois, const Tensor& batch_index = {}) const;
  Device device() const { return rpn->head->conv->weight.device(); }  // the model's (Module::to moves all)
  void stage(const char* name) const {
    if (after_stage) after_stage(name);
  }
};

}  // namespace rcnn
