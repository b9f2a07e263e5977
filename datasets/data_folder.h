#pragma once
// A data set folder of either layout, found out from what it holds: COCO's (annotations/instances_<split>.json)
// or Pascal VOC's (ImageSets/Main/<split>.txt, the generated sets' too). Everything that takes --data
// reads through here, so training, evaluation and the chapters take both.
#include <string>
#include <vector>

#include "datasets/annotation.h"

namespace rcnn {

enum class DataFormat { Voc, Coco };
DataFormat data_format(const std::string& dir);
const char* format_name(DataFormat format);  // "VOC", "COCO"
// The splits the folder holds, sorted.
std::vector<std::string> data_splits(const std::string& dir);

// Training: boxes clipped to the image and those without area inside it dropped, COCO's crowd regions
// left out, an image that is missing skipped with a warning. Evaluation: the ground truth as annotated
// (boxes unchanged, crowds kept), no image needed.
enum class DataPurpose { Training, Evaluation };
Dataset read_dataset(const std::string& dir, const std::string& split, DataPurpose purpose);

}  // namespace rcnn
