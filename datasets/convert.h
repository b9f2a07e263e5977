#pragma once
// `rcnn data convert`: a data set folder from one layout to the other, every split it holds. What both
// formats hold goes across unchanged (boxes, classes, VOC's difficult and truncated flags, which COCO
// files keep as keys of their own); what only one holds does not: COCO's crowd regions are left out of
// VOC files, its segment areas and category ids become the boxes' areas and 1..N. Images are copied
// (VOC's JPEGImages/ holds JPEGs only: another format is re-encoded as JPEG, quality 95).
#include <string>

#include "datasets/data_folder.h"

namespace rcnn {

struct ConversionSummary {
  int64_t splits = 0, images = 0, objects = 0;
  int64_t crowds_left_out = 0;  // COCO -> VOC
  int64_t reencoded = 0;        // images that were not JPEG, for VOC
  int64_t missing_images = 0;   // listed but absent: annotations converted, no image copied
};

ConversionSummary convert_data(const std::string& from_dir, const std::string& to_dir, DataFormat to);

}  // namespace rcnn
