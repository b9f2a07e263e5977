#pragma once
// Running a trained detector over a split and scoring it like the VOC devkit (chapter 13, `rcnn eval`),
// and with COCO's metric where asked: detections at the config's low score threshold, comp4 results
// files and COCO's results JSON, per-class AP and PR plots. The split may be VOC's or COCO's.
#include <string>
#include <vector>

#include "detection/faster_rcnn.h"
#include <optional>

#include "detection/coco_eval.h"
#include "detection/voc_eval.h"

namespace rcnn {

// Every image of `data`, in order, through model.detect (the model in eval mode). Images that cannot
// be decoded are skipped with a warning and counted.
struct DetectionRun {
  std::vector<Detection> detections;
  int64_t unreadable = 0;
  double median_seconds = 0;  // of model.detect per image; the loader decodes the next images meanwhile
};
DetectionRun detect_dataset(FasterRcnn& model, const Dataset& data, bool progress = true);

// What the RPN alone is scored against: every object of class 0, "object".
Dataset class_agnostic(const Dataset& ground_truth);

struct EvaluateOptions {
  std::string data_dir, split = "test";
  std::string out_dir;  // results/ (comp4 files) and plots/ (PR curves) go here
  bool use_07_metric = true;
  bool coco_metric = false;  // also COCO's AP@[.50:.95] and the rest of its summary
  bool progress = true;
};
struct DetectorEvaluation {
  VocEvaluation scores;
  std::optional<CocoEvaluation> coco;  // where coco_metric was asked for
  std::vector<Detection> detections;
  double median_detect_seconds = 0;  // per image, decoding apart
  Dataset ground_truth;  // as scored (class-agnostic for an RPN)
};
// COCO's results file of a split in a results folder: DIR/coco_results_<split>.json.
std::string coco_results_file(const std::string& dir, const std::string& split);
// classes: the detector's (its checkpoint's); the split's annotations must use the same.
DetectorEvaluation evaluate_detector(FasterRcnn& model, const std::vector<std::string>& classes, const EvaluateOptions& options);

}  // namespace rcnn
