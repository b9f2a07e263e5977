#pragma once
// COCO's detection metric (Lin et al. 2014; cocodataset.org/#detection-eval), as pycocotools' COCOeval
// computes it for boxes, number for number (tests/reference/make_coco_reference.py ports it):
// - per image and class, detections by decreasing score (a stable sort: ties keep the results' order),
//   at most 100; IoU of boxes in continuous coordinates, where a crowd region's is the intersection
//   over the detection's area;
// - for each IoU threshold 0.50, 0.55, ..., 0.95 and area range (all; small < 32², medium 32²..96²,
//   large > 96², on the ground truth's `area` field, both ends inclusive): each detection matches the
//   unmatched ground truth (a crowd any number of times) with the highest IoU at or above the
//   threshold, later ground truth winning ties, objects that are crowds or outside the range
//   matched only when nothing else is; a detection matched to such an object, or unmatched with
//   its area outside the range, is ignored;
// - per class, area range and maxDets (1, 10, 100), the detections of every image pooled by score,
//   precision made monotone and read at 101 recall points (0 beyond the last recall reached);
//   AP the mean over thresholds, recall points and classes with ground truth, AR over thresholds.
// IoUs and detections' areas come from COCO's [x, y, w, h] as the files give them (coco_numbers): from
// corners, decimal boxes exactly on a threshold fall on its other side. Kept different on purpose: an
// annotation with id 0 matches (pycocotools marks "unmatched" with id 0 and so drops it), and no
// detections at all score 0 (pycocotools' loadRes fails on an empty list).
#include <array>
#include <string>
#include <vector>

#include "detection/voc_eval.h"

namespace rcnn {

struct CocoEvaluation {
  // AP, AP50, AP75, AP small, medium, large, AR1, AR10, AR100, AR small, medium, large; -1 where
  // there is nothing to average (no ground truth in that range).
  std::array<double, 12> stats{};
  std::vector<double> class_ap;  // AP@[.50:.95] of each class (-1: no ground truth)
};

// ground_truth: every image of the split, with crowds and COCO areas where it has them (VOC and
// generated sets: the boxes' areas, no crowds; difficult objects count as objects, as pycocotools
// scores a VOC set converted to COCO). Detections name images by Annotation::id.
CocoEvaluation evaluate_coco(const Dataset& ground_truth, const std::vector<Detection>& detections);

// pycocotools' summary: the twelve lines ` Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.xxx`.
std::string format_coco_evaluation(const CocoEvaluation& evaluation);

// COCO's results file, [{"image_id", "category_id", "bbox": [x, y, w, h], "score"}], with the data
// set's image and category ids (coco_image_ids, coco_category_id).
void write_coco_results(const std::string& path, const Dataset& ground_truth, const std::vector<Detection>& detections);
// Reads one; an image id the data set does not have is an error (as pycocotools'), a category id it
// does not have is left out with a warning (pycocotools leaves it out silently).
std::vector<Detection> read_coco_results(const std::string& path, const Dataset& ground_truth);

}  // namespace rcnn
