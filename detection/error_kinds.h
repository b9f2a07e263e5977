#pragma once
// Why a false positive is false (Hoiem et al. 2012, "Diagnosing error in object detectors", the
// definitions TIDE keeps, Bolya et al. 2020), from its best IoU with the objects of its image:
//   duplicate     its own class, IoU >= 0.5: the object was already found by a better-scoring box
//   localisation  its own class, 0.1 <= IoU < 0.5: on the object, badly placed
//   confusion     another class, IoU >= 0.1: on an object, under the wrong name
//   background    IoU < 0.1 with every object
// in that order of precedence (a box that is both roughly on its own class's object and on another
// object is a localisation error). Chapter 13 sorts a detector's failures with it.
#include "detection/voc_eval.h"

namespace rcnn {

enum class ErrorKind { Duplicate, Localisation, Confusion, Background };
const char* error_kind_name(ErrorKind kind);

ErrorKind classify_false_positive(const Detection& detection, const Annotation& truth);

}  // namespace rcnn
