#pragma once
// COCO-format data sets (Lin et al. 2014), read with nlohmann-json into the same Dataset the VOC reader
// gives. The layout, as COCO 2017 ships it and labelling tools export it:
//   DIR/annotations/instances_<split>.json   images, annotations (bbox [x, y, w, h], area, iscrowd), categories
//   DIR/<split>/<file_name>                  the images (or DIR/images/<file_name>, shared by every split)
// Classes are the categories in increasing id (ids need not be 1..N: Dataset::category_ids keeps
// them); an image's COCO id, whatever its sign, is Annotation::coco_id, always the file's; its id the
// file name's stem (the whole file name where two files share a stem: a.jpg and a.png). Boxes are
// converted in one place (from_coco_box, annotation.h); read for evaluation, each object also keeps
// the file's [x, y, w, h], which COCO's metric computes from (coco_numbers).
#include <string>
#include <vector>

#include "datasets/annotation.h"
#include "datasets/voc.h"

namespace rcnn {

struct CocoReadOptions {
  OnMissingImage missing_image = OnMissingImage::Error;
  // Training: boxes clipped to the image, boxes without area inside it dropped, crowd regions left out
  // (as torchvision's references do). Evaluation (false): every box as annotated, crowds kept.
  bool for_training = true;
};

// The annotation file of a split and the folder its images are in.
std::string coco_annotation_file(const std::string& dir, const std::string& split);
std::string coco_image_dir(const std::string& dir, const std::string& split);
bool is_coco_folder(const std::string& dir);
// The splits a COCO folder holds (annotations/instances_<split>.json), sorted.
std::vector<std::string> coco_splits(const std::string& dir);

Dataset read_coco(const std::string& dir, const std::string& split, const CocoReadOptions& options = {});
// One annotation file's text; `source` names it in messages, images are looked for in image_dir (not
// opened). Problems an image can live without are appended to `warnings`; everything else throws an
// Error naming the source and the JSON path (`annotations[12].bbox`).
Dataset parse_coco(const std::string& json, const std::string& source, const std::string& image_dir,
                   const CocoReadOptions& options, std::vector<std::string>& warnings);

// COCO's image ids for a data set: the file's (coco_id) where it came from a COCO file; else (VOC,
// generated sets) the ids themselves where all are decimal numbers and distinct (VOC's "000005" is
// 5), else 1..N in order. Some items with ids and some without is an error.
std::vector<int64_t> coco_image_ids(const Dataset& data);
// COCO's category id of a label (Dataset::category_ids, or label + 1).
int64_t coco_category_id(const Dataset& data, int64_t label);

// Writes `data` as one annotation file: images with file_name (the image_path's file name), width,
// height and id (coco_image_ids); each object's bbox, area (evaluated_area) and iscrowd, and VOC's
// difficult and truncated flags as keys of their own, so VOC -> COCO -> VOC keeps them.
void write_coco(const Dataset& data, const std::string& path);

}  // namespace rcnn
