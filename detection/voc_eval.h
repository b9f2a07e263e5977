#pragma once
// Pascal VOC detection evaluation, reproducing the official devkit (VOCevaldet.m, and
// py-faster-rcnn's voc_eval.py that mirrors it):
// - a detection matches the ground truth of its class and image with the highest IoU, computed in
//   VOC's 1-based inclusive pixels (the "+1"), and is a true positive when that IoU > 0.5 (strictly)
//   and the ground truth was not matched before; a second detection of it is a false positive;
// - a detection whose best match is a difficult object is neither TP nor FP, and difficult objects
//   do not count as positives (nor do COCO's crowd regions, scored the same way);
// - detections are taken in decreasing score, equal scores in the order given (a stable sort, as the
//   MATLAB devkit's sort; voc_eval.py's np.argsort is unstable, so its order of ties changes with
//   numpy's version); AP is the 11-point interpolated precision for VOC2007,
//   or the area under the monotone precision envelope for VOC2010 and later.
#include <string>
#include <vector>

#include "datasets/annotation.h"
#include "datasets/image.h"

namespace rcnn {

struct Detection {
  std::string image_id;
  int64_t label = 0;  // index into the data set's classes
  double score = 0;  // double: float would merge scores that differ past the 7th digit into ties
  Box box;           // continuous coordinates in the original image
  std::optional<CocoBox> coco_box = std::nullopt;  // as a COCO results file gave it (coco_numbers)
};

struct ClassAP {
  std::string name;
  double ap = 0;
  int64_t positives = 0;  // non-difficult ground-truth objects
  int64_t detections = 0;
  std::vector<double> recall, precision;  // after each detection, in decreasing score
};

// What the evaluation decided about one detection.
enum class Verdict { TruePositive, FalsePositive, Ignored /* matched a difficult object */ };

struct VocEvaluation {
  std::vector<ClassAP> classes;
  double map = 0;  // mean over classes that have positives
  std::vector<Verdict> verdicts;  // one per detection, in the order they were given
};

// The devkit's IoU of two boxes given in continuous coordinates (equal to the plain IoU on them).
double voc_iou(const Box& a, const Box& b);

VocEvaluation evaluate_voc(const Dataset& ground_truth, const std::vector<Detection>& detections,
                           bool use_07_metric = true, double iou_threshold = 0.5);

// The per-class table, ending with the line `mAP@0.5: 0.XXXX`.
std::string format_evaluation(const VocEvaluation& evaluation);

// The standard results files, one per class: dir/comp4_det_<split>_<class>.txt with lines
// `<image id> <score> <xmin> <ymin> <xmax> <ymax>` in VOC's 1-based pixels, so the official devkit
// can score them too. Numbers are written in the shortest form that reads back exactly.
// A class name as part of a file name: '/' (Fashion-MNIST's "T-shirt/top") written as '_'.
std::string class_file_name(const std::string& class_name);
// The devkit's results file of a class: comp4_det_<split>_<class>.txt.
std::string voc_results_file(const std::string& split, const std::string& class_name);
void write_voc_results(const std::string& dir, const std::string& split, const std::vector<std::string>& classes,
                       const std::vector<Detection>& detections);
std::vector<Detection> read_voc_results(const std::string& dir, const std::string& split,
                                        const std::vector<std::string>& classes);

// The precision-recall curve of one class.
Image precision_recall_plot(const ClassAP& result);
// One plot per class, <dir>/pr_<class>.png.
void save_precision_recall_plots(const VocEvaluation& evaluation, const std::string& dir);

}  // namespace rcnn
