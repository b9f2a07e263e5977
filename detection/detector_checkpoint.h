#pragma once
// A detector's checkpoint is self-contained: besides the weights, the optimizer and the random state
// (layers/checkpoint.h), it holds the config it was trained with (YAML), its class names and how far
// through the data the run had come, so `rcnn eval` and `rcnn predict` need nothing else.
#include <memory>
#include <string>
#include <vector>

#include "detection/config.h"
#include "detection/faster_rcnn.h"
#include "layers/checkpoint.h"

namespace rcnn {

struct DetectorInfo {
  DetectorConfig config;
  std::vector<std::string> classes;
  int64_t iteration = 0;  // iterations done
  int64_t position = 0;   // samples of the data set consumed (skipped unreadable images included)
  // Images a step (processes x train.images_per_step) of the run that saved it; 0 where not known (a
  // checkpoint from before it was kept).
  int64_t step_images = 0;
};

Metadata detector_metadata(const DetectorInfo& info);
// `path`: the checkpoint file, or a run folder holding checkpoint.safetensors.
std::string checkpoint_path(const std::string& path);
DetectorInfo read_detector_info(const std::string& path);
// The config a model is built from before a checkpoint fills it: the checkpoint holds every weight,
// so the pretrained file the config started from is not read again (and need not exist any more).
DetectorConfig config_for_checkpoint(DetectorConfig config);

struct LoadedDetector {
  DetectorInfo info;
  std::unique_ptr<Generator> gen;  // the model's dropout generator (inactive in eval mode)
  std::unique_ptr<FasterRcnn> model;
};
// The model rebuilt from the checkpoint's config, its weights loaded, in eval mode, on `device`.
// overrides: "key=value" changes to that config first (the test settings: "test.score_threshold=0.5").
LoadedDetector load_detector(const std::string& path, Device device = kCPU, const std::vector<std::string>& overrides = {});

}  // namespace rcnn
