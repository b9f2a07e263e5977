#pragma once
// Boxes and annotated images, shared by every data set (Pascal VOC, the generated ones) and by the
// detector. Boxes are continuous pixel coordinates: (x1, y1) the top-left corner, (x2, y2) the
// bottom-right, so a box covering pixel columns 0..9 spans x1 = 0 to x2 = 10, and its width is
// x2 - x1 (docs/defaults.md). The VOC reader and writer convert from and to VOC's 1-based inclusive pixels.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rcnn {

// Double, not float: evaluation compares IoUs with 0.5 strictly, and a coordinate rounded to float can
// move an IoU of exactly 1/2 above it (the devkit computes in double). Tensors of boxes stay float32.
struct Box {
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  double width() const { return x2 - x1; }
  double height() const { return y2 - y1; }
  double area() const { return width() > 0 && height() > 0 ? width() * height() : 0; }
  bool operator==(const Box& o) const { return x1 == o.x1 && y1 == o.y1 && x2 == o.x2 && y2 == o.y2; }
};

// VOC's 1-based inclusive pixels xmin..xmax are the continuous span [xmin - 1, xmax): the conversions
// every reader and writer of VOC files (annotations, results files) goes through.
struct VocPixels {
  double xmin, ymin, xmax, ymax;
};
inline Box from_voc_pixels(const VocPixels& p) { return {p.xmin - 1, p.ymin - 1, p.xmax, p.ymax}; }
inline VocPixels to_voc_pixels(const Box& b) { return {b.x1 + 1.0, b.y1 + 1.0, b.x2, b.y2}; }

// COCO's boxes [x, y, width, height] are in the same continuous coordinates as ours (pixel column 0
// spans x 0 to 1): only the second corner is given as a size. Every COCO reader and writer goes
// through these two.
struct CocoBox {
  double x, y, width, height;
};
inline Box from_coco_box(const CocoBox& b) { return {b.x, b.y, b.x + b.width, b.y + b.height}; }
inline CocoBox to_coco_box(const Box& b) { return {b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1}; }
// A box's COCO numbers: as a COCO file gave them where it came from one, else from its corners. COCO's
// metric computes from these, as pycocotools does (maskApi.c's bbIou, loadRes' area = w * h): x + w - x
// is not w in floating point (328.41 + 60.83 - 328.41 = 60.830000000000013), so the corners alone
// cannot give back a file's width, and an IoU or area exactly on a threshold would land on its other side.
inline CocoBox coco_numbers(const Box& box, const std::optional<CocoBox>& as_given) {
  return as_given ? *as_given : to_coco_box(box);
}

// A box for training, as every reader makes it: clipped to the image, false (and a warning) when
// nothing of it is inside; a warning too when it was clipped. `where` names the annotation.
inline bool clip_to_image(Box& box, int width, int height, const std::string& where, std::vector<std::string>& warnings) {
  const double w = width, h = height;
  const Box clipped{std::clamp(box.x1, 0.0, w), std::clamp(box.y1, 0.0, h), std::clamp(box.x2, 0.0, w), std::clamp(box.y2, 0.0, h)};
  if (clipped.width() <= 0 || clipped.height() <= 0) {
    warnings.push_back(where + ": box has no area inside the image, skipped");
    return false;
  }
  if (!(clipped == box)) warnings.push_back(where + ": box reaches outside the image, clipped");
  box = clipped;
  return true;
}

struct Object {
  std::string name;  // class name, as in the annotation
  int64_t label = -1;  // index into the data set's classes
  Box box;
  bool difficult = false;  // VOC: hard to recognise; neither counted nor penalised in evaluation
  bool truncated = false;
  // COCO: a crowd region (iscrowd): never trained on; in evaluation a detection inside it is ignored.
  bool crowd = false;
  // COCO's annotated area (of the object's segment), which sorts objects into small, medium and large;
  // below 0 where none was given (VOC, generated sets): the box's area serves.
  double area = -1;
  // COCO's [x, y, w, h] as the file gave them (read for evaluation; see coco_numbers).
  std::optional<CocoBox> coco_box = std::nullopt;
  double evaluated_area() const {
    if (area >= 0) return area;
    const CocoBox b = coco_numbers(box, coco_box);
    return b.width * b.height;
  }
};

struct Annotation {
  std::string id;          // e.g. "000005"
  std::string image_path;  // full path of the image file
  int width = 0, height = 0;
  std::vector<Object> objects;
  std::optional<int64_t> coco_id = std::nullopt;  // COCO's image id (any integer, negative too); none in VOC
};

struct Dataset {
  std::string name;
  std::vector<std::string> classes;  // labels index this list (no background class)
  std::vector<Annotation> items;
  // COCO's category id of each class, in increasing order (labels follow it); empty: 1, 2, ..., N.
  std::vector<int64_t> category_ids = {};
};

// The item with the most objects (the first of equals): the picture chapters draw on. items must not be empty.
inline const Annotation& most_objects(const std::vector<Annotation>& items) {
  const Annotation* best = &items.at(0);
  for (const Annotation& a : items)
    if (a.objects.size() > best->objects.size()) best = &a;
  return *best;
}

}  // namespace rcnn
