#pragma once
// Every hyper-parameter of the detector in one nested struct, read from a YAML file (configs/*.yaml,
// the convention of Luminoth, detectron2 and mmdetection) with command-line overrides ("rpn.min_size=8").
// The defaults here are the paper's (py-faster-rcnn end2end, VGG16; docs/defaults.md); a preset file
// states all of them. An unknown key, a wrong type or an out-of-range value is an error naming the key
// and the file. The config travels inside every checkpoint (to_yaml), so a checkpoint is self-contained.
#include <array>
#include <string>
#include <vector>

#include "detection/anchors.h"
#include "detection/postprocess.h"
#include "detection/proposals.h"
#include "detection/rcnn_head.h"
#include "detection/roi_pool.h"
#include "detection/rpn.h"

namespace rcnn {

struct InputConfig {
  int64_t shorter_side = 600;  // resize so the shorter side is this ...
  int64_t longer_side = 1000;  // ... unless the longer would exceed this
  bool flip = true;            // horizontal flip with probability 0.5 in training
};

struct BackboneConfig {
  std::string name = "vgg16";  // tiny | vgg16 | mobilenet_v2 | resnet50_c4 | resnet50 (models/)
  int64_t width_divisor = 1;   // vgg16: every layer's channels divided by this (small test networks)
  int64_t stride = 0;          // 0: the backbone's own (32 for mobilenet_v2, 16 for the others); tiny and
                               // vgg16 also take 8 (their last pool before the map left out)
  int64_t frozen_convs = 4;    // the first convolutions get no gradient (the paper: VGG16's conv1-conv2;
                               // torchvision: MobileNetV2's features[0:4], 9 convolutions)
  std::string weights;         // optional safetensors file with the backbone's weights (torchvision names)
  // A feature pyramid (models/fpn.h) on the backbone's stage ends of these strides (e.g. [4, 8, 16, 32]
  // for ResNet-50's C2-C5), fpn_channels wide, plus its pool level; empty: the single map. A pyramid
  // detector is laid out as torchvision's fasterrcnn_*_fpn, so its weights load by name: its anchors
  // (one size per level), its RPN head (one logit per anchor), per-level proposals, RoIs pooled from
  // the level their size suits, a box predictor with background deltas.
  std::vector<int64_t> fpn_levels;
  int64_t fpn_channels = 256;
};

struct RpnConfig {
  int64_t channels = 512;  // the 3x3 conv's width
  // py-faster-rcnn (and torchvision) code the RPN's targets without the stds: BoxCoding{1, 1, 1, 1}.
  RpnTargetOptions targets{{0.7, 0.3, true}, 256, 0.5, 0, BoxCoding{{1, 1, 1, 1}}};
  ProposalOptions train = ProposalOptions::paper_train(), test = ProposalOptions::paper_test();
  double class_weight = 1, box_weight = 1;
  double sigma = 3;  // Smooth L1's sigma (py-faster-rcnn: 3 for the RPN)
};

struct RoiConfig {
  std::string method = "pool";  // pool (Fast R-CNN's RoIPool) | align (RoIAlign) | crop_and_resize (Luminoth)
  RoiAlignOptions align;        // output size, sampling ratio, aligned; spatial_scale comes from the backbone
};

struct RcnnConfig {
  int64_t hidden = 4096;  // fc6 and fc7 width (unused where the backbone brings its RoI head: ResNet)
  double dropout = 0.5;
  RcnnTargetOptions targets;
  double class_weight = 1, box_weight = 1;
  double sigma = 1;
};

struct SolverConfig {
  double lr = 1e-3;
  double momentum = 0.9;
  double weight_decay = 5e-4;
  double bias_lr_factor = 2;     // py-faster-rcnn: biases learn twice as fast ...
  bool bias_weight_decay = false;  // ... and are not decayed
  int64_t iterations = 70000;    // SGD steps (the schedule's milestones count them too)
  // Images whose gradients a step averages, per process (detectron2's IMS_PER_BATCH / N processes):
  // a step of a run of N processes is N x images_per_step images. The learning rate is left as set;
  // the linear rule (Goyal et al. 2017) scales it with the images of a step (docs/training.md).
  int64_t images_per_step = 1;
  // How a process gets its images' gradients: "accumulate" (one image's forward and backward after the
  // other: the memory of one image; the CPU's choice) or "padded" (one batched forward, FasterRcnn's
  // losses(batch): where a device gains from bigger calls). Images of one size give the same step.
  std::string batch_mode = "accumulate";
  // Images without objects (COCO lists them; a VOC image whose boxes were all dropped): trained on as
  // negatives (true), or left out as torchvision's COCO references do (false). Evaluation keeps them.
  bool keep_empty_images = true;
  // Under mpirun: a collective that waits longer than this for the other ranks (one stopped or hung)
  // names the ranks that did not arrive and stops the job (distributed/world.h).
  double collective_timeout_s = 300;
  std::vector<int64_t> milestones = {50000};
  double gamma = 0.1;
  int64_t warmup_iterations = 0;  // linear warm-up from warmup_factor x lr (torchvision's references)
  double warmup_factor = 1.0 / 3;
  double max_grad_norm = 0;       // 0: no clipping
  int64_t checkpoint_every = 5000;
  int64_t log_every = 20;
  int64_t seed = 0;               // initial weights, sampling, dropout and the data order
};

struct DetectorConfig {
  std::string mode = "faster_rcnn";  // faster_rcnn | rpn (the RPN alone, a class-agnostic detector)
  InputConfig input;
  BackboneConfig backbone;
  AnchorOptions anchors;
  RpnConfig rpn;
  RoiConfig roi;
  RcnnConfig rcnn;
  PostprocessOptions test;
  SolverConfig train;
};

// `source` names the text in messages (a file name). overrides: "key=value" with dotted keys.
DetectorConfig parse_config(const std::string& yaml, const std::string& source,
                            const std::vector<std::string>& overrides = {});
DetectorConfig load_config(const std::string& path, const std::vector<std::string>& overrides = {});
// Every key, in the order of the preset files; parse_config(to_yaml(c)) == c.
std::string to_yaml(const DetectorConfig& config);
// "key: a's value vs b's value" for every key that differs.
std::vector<std::string> config_differences(const DetectorConfig& a, const DetectorConfig& b);

}  // namespace rcnn
