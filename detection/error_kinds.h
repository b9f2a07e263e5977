#pragma once
// Why a false positive is false (Hoiem et al. 2012, "Diagnosing error in object detectors", the
// definitions TIDE keeps, Bolya et al. 2020), from its best IoU with the objects of its image:
//   duplicate     its own class, IoU > 0.5: the object was already found by a better-scoring box
//   localisation  its own class, 0.1 <= IoU <= 0.5: on the object, badly placed
//   confusion     another class, IoU >= 0.1: on an object, under the wrong name
//   background    IoU < 0.1 with every object
// in that order of precedence (a box that is both roughly on its own class's object and on another
// object is a localisation error). 0.5 as the evaluation draws it (chapter 11): IoU above 0.5 finds an
// object. Chapter 13 sorts a detector's failures with it.
#include "detection/voc_eval.h"

namespace rcnn {

enum class ErrorKind { Duplicate, Localisation, Confusion, Background };
const char* error_kind_name(ErrorKind kind);

ErrorKind classify_false_positive(const Detection& detection, const Annotation& truth);

// What each kind of error costs in mAP, as TIDE measures it (Bolya et al. 2020, section 3): the mAP
// gained when an oracle fixes every error of that kind and leaves the rest as they are. A duplicate or
// a background box is removed; a localisation error is moved onto its class's object it overlaps most,
// a confusion renamed to the class of the object it overlaps most (either removed instead where that
// object is already found: it would be a duplicate); a missed object (no true positive on it) is taken
// out of the ground truth. `evaluation` is evaluate_voc's on these detections.
struct ErrorCosts {
  double map = 0;             // as evaluated
  double kinds[4] = {};       // mAP gained by fixing each ErrorKind
  double missed = 0;          // ... by fixing the missed objects
  int64_t counts[4] = {};     // false positives of each kind (every score)
  int64_t missed_objects = 0;
};
ErrorCosts error_costs(const Dataset& ground_truth, const std::vector<Detection>& detections,
                       const VocEvaluation& evaluation, bool use_07_metric);

}  // namespace rcnn
