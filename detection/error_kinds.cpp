#include "detection/error_kinds.h"

#include <algorithm>
#include <map>

namespace rcnn {

const char* error_kind_name(ErrorKind kind) {
  static const char* const names[] = {"duplicate", "localisation", "confusion", "background"};
  return names[static_cast<int>(kind)];
}

ErrorKind classify_false_positive(const Detection& d, const Annotation& truth) {
  double same = 0, other = 0;  // the best IoU with an object of its class, and of another
  for (const Object& o : truth.objects) {
    double& best = o.label == d.label ? same : other;
    best = std::max(best, voc_iou(d.box, o.box));
  }
  if (same > 0.5) return ErrorKind::Duplicate;
  if (same >= 0.1) return ErrorKind::Localisation;
  if (other >= 0.1) return ErrorKind::Confusion;
  return ErrorKind::Background;
}

namespace {

// The object of `a` a box overlaps most, among those of class `label` (any class: -1).
const Object* best_object(const Annotation& a, const Box& box, int64_t label) {
  const Object* best = nullptr;
  double best_iou = 0;
  for (const Object& o : a.objects) {
    const double iou = voc_iou(box, o.box);
    if ((label < 0 || o.label == label) && iou > best_iou) {
      best_iou = iou;
      best = &o;
    }
  }
  return best;
}

}  // namespace

ErrorCosts error_costs(const Dataset& truth, const std::vector<Detection>& detections, const VocEvaluation& e,
                       bool use_07_metric) {
  ErrorCosts c;
  c.map = e.map;
  std::map<std::string, const Annotation*> image;
  for (const Annotation& a : truth.items) image[a.id] = &a;
  std::vector<ErrorKind> kind(detections.size(), ErrorKind::Background);
  for (size_t i = 0; i < detections.size(); ++i)
    if (e.verdicts[i] == Verdict::FalsePositive) ++c.counts[static_cast<int>(kind[i] = classify_false_positive(detections[i], *image.at(detections[i].image_id)))];
  for (int k = 0; k < 4; ++k) {
    const auto fixing = static_cast<ErrorKind>(k);
    std::vector<Detection> fixed;
    std::vector<bool> moved;
    for (size_t i = 0; i < detections.size(); ++i) {
      Detection d = detections[i];
      const bool mine = e.verdicts[i] == Verdict::FalsePositive && kind[i] == fixing;
      if (mine && (fixing == ErrorKind::Duplicate || fixing == ErrorKind::Background)) continue;
      if (mine) {
        const Object* o = best_object(*image.at(d.image_id), d.box, fixing == ErrorKind::Localisation ? d.label : -1);
        d.box = o->box;
        d.label = o->label;
      }
      fixed.push_back(d);
      moved.push_back(mine);
    }
    VocEvaluation after = evaluate_voc(truth, fixed, use_07_metric);
    // A fixed box that lands on an object already found would be a duplicate: the oracle removes it.
    std::vector<Detection> kept;
    for (size_t i = 0; i < fixed.size(); ++i)
      if (!(moved[i] && after.verdicts[i] == Verdict::FalsePositive)) kept.push_back(fixed[i]);
    if (kept.size() != fixed.size()) after = evaluate_voc(truth, kept, use_07_metric);
    c.kinds[k] = after.map - e.map;
  }
  // Missed objects: those no true positive of their class covers; fixed by not asking for them.
  Dataset found = truth;
  for (Annotation& a : found.items) {
    std::vector<Object> objects;
    for (const Object& o : a.objects) {
      bool covered = o.difficult;
      for (size_t i = 0; i < detections.size() && !covered; ++i) {
        const Detection& d = detections[i];
        covered = e.verdicts[i] == Verdict::TruePositive && d.image_id == a.id && d.label == o.label && voc_iou(d.box, o.box) > 0.5;
      }
      if (covered) objects.push_back(o);
      else ++c.missed_objects;
    }
    a.objects = objects;
  }
  c.missed = evaluate_voc(found, detections, use_07_metric).map - e.map;
  return c;
}

}  // namespace rcnn
