#pragma once
// `rcnn data stats`: what a split holds, and what will train badly, before a long run finds out.
// Sizes are COCO's: small below 32² pixels of area, medium to 96², large above (the areas COCO's
// metric sorts objects by; an object's annotated area where it has one, else its box's).
#include <string>

#include "datasets/annotation.h"

namespace rcnn {

// The report: images (how many without objects), objects per class by size, crowd regions, and
// warnings for boxes outside their image, boxes without size, and classes without objects.
std::string describe_data(const Dataset& data, const std::string& split);

}  // namespace rcnn
