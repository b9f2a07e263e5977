#pragma once
// Generated detection data sets in Pascal VOC's layout, so one reader serves VOC and these, and tests
// and CPU-only machines have real detection data. Deterministic for a seed.
//   shapes:          circles, squares and triangles in many colours and sizes (16-160 px on 256x256),
//                    overlapping, on textured backgrounds, 1-6 per image.
//   fashion-scenes:  Fashion-MNIST items (Debian's dataset-fashion-mnist) scaled to 42-140 px and placed
//                    on a cluttered canvas, 1-4 per image: 10 classes of real images.
// An object covered more than 60% by later ones is marked difficult; one that is cut by the image
// border is marked truncated; its box is the tight box of its visible pixels. Splits: train (80%),
// val (10%), test (10%) and trainval; classes.txt lists the classes.
#include <memory>
#include <string>
#include <vector>

#include "core/rng.h"
#include "datasets/annotation.h"
#include "datasets/fashion_mnist.h"

namespace rcnn {

struct GenerateOptions {
  std::string out_dir;
  int64_t images = 200;
  uint64_t seed = 0;
  int size = 256;  // square canvas
  bool progress = false;  // a progress bar on stderr
};

const std::vector<std::string>& shapes_classes();
Dataset generate_shapes(const GenerateOptions& options);
Dataset generate_fashion_scenes(const GenerateOptions& options);

// Single Fashion-MNIST items painted as fashion-scenes paints them (a bright colour over a textured
// canvas), each filling 65-100% of a size x size image: labelled images for pretraining a backbone
// on the items it will detect (as Faster R-CNN starts from an ImageNet classifier).
struct FashionItems;
class FashionItemRenderer {
 public:
  // split: Fashion-MNIST's "train" (60 000 items, those fashion-scenes paints) or "test" (10 000).
  explicit FashionItemRenderer(int size = 64, const std::string& split = "train");
  // count images, (count, 3, size, size) normalised as the detector's input, and their labels.
  LabelledImages render(int64_t count, Generator& gen) const;
  const std::vector<std::string>& class_names() const;

 private:
  int size_;
  std::shared_ptr<const FashionItems> items_;
};

// The classes of a VOC-layout folder: its classes.txt when present, else VOC's 20.
std::vector<std::string> read_classes(const std::string& dir);

}  // namespace rcnn
