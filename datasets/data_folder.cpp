#include "datasets/data_folder.h"

#include <algorithm>
#include <filesystem>

#include "datasets/coco.h"
#include "datasets/generated.h"
#include "datasets/voc.h"

namespace rcnn {

namespace fs = std::filesystem;

DataFormat data_format(const std::string& dir) { return is_coco_folder(dir) ? DataFormat::Coco : DataFormat::Voc; }

const char* format_name(DataFormat format) { return format == DataFormat::Coco ? "COCO" : "VOC"; }

std::vector<std::string> data_splits(const std::string& dir) {
  if (data_format(dir) == DataFormat::Coco) return coco_splits(dir);
  std::vector<std::string> splits;
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator(fs::path(dir) / "ImageSets" / "Main", ignored))
    if (entry.path().extension() == ".txt") splits.push_back(entry.path().stem().string());
  std::sort(splits.begin(), splits.end());
  return splits;
}

Dataset read_dataset(const std::string& dir, const std::string& split, DataPurpose purpose) {
  const bool training = purpose == DataPurpose::Training;
  const OnMissingImage missing = training ? OnMissingImage::WarnAndSkip : OnMissingImage::Ignore;
  if (data_format(dir) == DataFormat::Coco) {
    CocoReadOptions options;
    options.missing_image = missing;
    options.for_training = training;
    return read_coco(dir, split, options);
  }
  VocReadOptions options;
  options.classes = read_classes(dir);
  options.missing_image = missing;
  options.clip_boxes = training;
  return read_voc(dir, split, options);
}

}  // namespace rcnn
