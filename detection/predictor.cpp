#include "detection/predictor.h"

#include <algorithm>

#include "detection/trainer.h"

namespace rcnn {

std::vector<PredictedObject> predict_objects(LoadedDetector& d, Image image, double threshold) {
  Annotation a;
  a.id = "image";
  a.width = image.width;
  a.height = image.height;
  const Sample sample = prepare_image(a, std::move(image), loader_options(d.info.config, /*training=*/false), false);
  std::vector<PredictedObject> objects;
  for (const Detection& det : d.model->detect(sample)) {
    if (det.score < threshold) continue;
    const std::string& name = d.info.config.mode == "rpn" ? std::string("object") : d.info.classes.at(det.label);
    objects.push_back({det.box, name, det.label, det.score});
  }
  std::stable_sort(objects.begin(), objects.end(), [](const PredictedObject& x, const PredictedObject& y) { return x.score > y.score; });
  return objects;
}

}  // namespace rcnn
