#pragma once
// Pascal VOC (Everingham et al. 2010) in its devkit layout, read with pugixml:
//   VOCdevkit/VOC2007/Annotations/<id>.xml, JPEGImages/<id>.jpg, ImageSets/Main/<split>.txt
// The same layout holds VOC2012 and rcnn.cpp's generated data sets, so one reader serves all.
#include <string>
#include <vector>

#include "datasets/annotation.h"

namespace rcnn {

const std::vector<std::string>& voc_classes();  // the 20 classes, in the devkit's order

// Ignore: the caller reads no image (evaluation needs only the annotations).
enum class OnMissingImage { Error, WarnAndSkip, Ignore };

struct VocReadOptions {
  std::vector<std::string> classes = voc_classes();
  OnMissingImage missing_image = OnMissingImage::Error;
  // Training clips boxes to the image and drops those without area; evaluation scores the boxes as
  // annotated, as the devkit does (clip_boxes = false keeps every box of a known class unchanged).
  bool clip_boxes = true;
};

// Reads one split ("trainval", "test", ...) of the data set in `dir` (the folder that holds
// Annotations/, JPEGImages/ and ImageSets/). Problems an image can live without are warnings (a box
// reaching outside the image is clipped; a box with no area, an unknown class, or a missing image
// under WarnAndSkip are skipped), printed to stderr as `warning: <file>: ...`; everything else is an
// Error naming the file and the field.
Dataset read_voc(const std::string& dir, const std::string& split, const VocReadOptions& options = {});

// Parses one annotation file's text; `source` names it in messages. Appends warnings.
Annotation parse_voc_annotation(const std::string& xml, const std::string& source,
                                const std::vector<std::string>& classes, std::vector<std::string>& warnings,
                                bool clip_boxes = true);

// Writes `dataset` into `dir` in the same layout: an annotation per item (images are the caller's)
// and ImageSets/Main/<split>.txt listing `ids`.
void write_voc_annotation(const Annotation& annotation, const std::string& path);
void write_voc_split(const std::string& dir, const std::string& split, const std::vector<std::string>& ids);

}  // namespace rcnn
