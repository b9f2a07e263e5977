#include "detection/detector_checkpoint.h"

#include <filesystem>
#include <nlohmann/json.hpp>

namespace rcnn {

Metadata detector_metadata(const DetectorInfo& info) {
  return {{"config", to_yaml(info.config)},
          {"classes", nlohmann::json(info.classes).dump()},
          {"position", std::to_string(info.position)},
          {"step_images", std::to_string(info.step_images)}};
}

std::string checkpoint_path(const std::string& path) {
  return std::filesystem::is_directory(path) ? (std::filesystem::path(path) / "checkpoint.safetensors").string() : path;
}

DetectorInfo read_detector_info(const std::string& path) {
  const std::string file = checkpoint_path(path);
  check(std::filesystem::exists(file), "no checkpoint at ", file);
  Metadata meta = checkpoint_metadata(file);
  check(meta.count("config") && meta.count("classes") && meta.count("position"), file,
        " is a checkpoint of something other than a detector (no config, classes or position)");
  DetectorInfo info;
  info.config = parse_config(meta["config"], file + " (its config)");
  try {
    info.classes = nlohmann::json::parse(meta["classes"]).get<std::vector<std::string>>();
    info.position = std::stoll(meta["position"]);
    info.iteration = std::stoll(meta["step"]);
    if (meta.count("step_images")) info.step_images = std::stoll(meta["step_images"]);
  } catch (const std::exception& e) {
    throw Error(concat_message(file, ": damaged metadata: ", e.what()));
  }
  check(!info.classes.empty(), file, ": no classes");
  return info;
}

DetectorConfig config_for_checkpoint(DetectorConfig config) {
  config.backbone.weights.clear();
  return config;
}

LoadedDetector load_detector(const std::string& path, Device device, const std::vector<std::string>& overrides) {
  LoadedDetector d;
  d.info = read_detector_info(path);
  if (!overrides.empty()) d.info.config = parse_config(to_yaml(d.info.config), checkpoint_path(path), overrides);
  d.gen = std::make_unique<Generator>(static_cast<uint64_t>(d.info.config.train.seed));
  const int64_t classes = static_cast<int64_t>(d.info.classes.size());
  d.model = std::make_unique<FasterRcnn>(config_for_checkpoint(d.info.config), classes, *d.gen);
  load_checkpoint_model(checkpoint_path(path), *d.model);
  d.model->to(device);
  d.model->eval();
  return d;
}

}  // namespace rcnn
