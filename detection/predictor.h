#pragma once
// One photograph through a trained detector, as `rcnn predict` and `rcnn serve` answer it: the image
// resized as the model's test settings say, detect(), the detections at or above a score threshold,
// best first, in the original image's pixels, with their class names. Both commands go through here,
// so the server's boxes are the command's boxes.
#include <string>
#include <vector>

#include "datasets/image.h"
#include "detection/detector_checkpoint.h"

namespace rcnn {

struct PredictedObject {
  Box box;  // continuous pixels of the image as given
  std::string label;
  int64_t class_index = 0;
  double score = 0;
};

// `model` in eval mode (load_detector leaves it so). Not thread-safe: one call at a time per model.
std::vector<PredictedObject> predict_objects(LoadedDetector& model, Image image, double threshold);

}  // namespace rcnn
