#pragma once
// From the R-CNN head's outputs to detections (Fast R-CNN, section 2.5 and py-faster-rcnn's test):
// class probabilities by softmax, each RoI's box for each class decoded from that class's deltas and
// cut to the image, scores below the threshold dropped, NMS within each class, the best few kept.
#include <string>
#include <vector>

#include "detection/boxes.h"
#include "detection/rcnn_head.h"
#include "detection/voc_eval.h"

namespace rcnn {

struct PostprocessOptions {
  double score_threshold = 0.05;  // low, as evaluation needs the whole precision-recall curve
  double nms_threshold = 0.3;     // per class
  int64_t max_per_image = 100;    // 0: no limit
  int64_t max_per_class = 0;      // 0: no limit
  BoxCoding coding;
  double min_size = 0;            // boxes narrower or lower than this (cut to nothing at the border) dropped

  static PostprocessOptions paper() { return {}; }
  static PostprocessOptions luminoth() { return {0.05, 0.5, 0, 100, {}}; }  // 0 per image: no limit
};

// rois (S, 4) in the pixels of the resized image_h x image_w image the network saw; scale = resized /
// original size, so the records' boxes are in the original image (what the VOC files hold).
std::vector<Detection> postprocess(const RcnnHead::Outputs& outputs, const Tensor& rois, int64_t image_h,
                                   int64_t image_w, double scale, const std::string& image_id,
                                   const PostprocessOptions& options = {});

}  // namespace rcnn
