#include "detection/error_kinds.h"

#include <algorithm>

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
  if (same >= 0.5) return ErrorKind::Duplicate;
  if (same >= 0.1) return ErrorKind::Localisation;
  if (other >= 0.1) return ErrorKind::Confusion;
  return ErrorKind::Background;
}

}  // namespace rcnn
