// Chapter 09 — RoI pooling. Pools one box of a generated image into a fixed-size grid with each of the
// three methods (RoIPool, RoIAlign, crop-and-resize), using the image itself as the feature map so the
// result can be looked at, and works one bilinear sample out by hand.
//   build/cpu/bin/09_roi_pooling [--out runs/09_roi_pooling]
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "datasets/draw.h"
#include "datasets/generated.h"
#include "datasets/transforms.h"
#include "detection/roi_pool.h"
#include "ops/ops.h"

using namespace rcnn;

int main(int argc, char** argv) try {
  CLI::App app{"Chapter 09: RoI pooling"};
  std::string out = "runs/09_roi_pooling";
  app.add_option("--out", out, "where the pictures go");
  CLI11_PARSE(app, argc, argv);
  std::filesystem::create_directories(out);

  // 1. One bilinear sample by hand: a 2 x 2 map [[1, 2], [3, 4]], a 1 x 1 RoI from (0.25, 0) to (1.25, 1),
  //    one sample per bin: at its centre, x = 0.75, y = 0.5.
  const Tensor map = from_vector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  const Tensor box = from_vector<float>({0.25f, 0, 1.25f, 1}, {1, 4}), image0 = zeros({1}, kInt64);
  const double sample = roi_align(map, box, image0, {1, 1.0, 1, false}).item();
  std::printf("bilinear sample at (x 0.75, y 0.5) of [[1, 2], [3, 4]]: %.4f\n", sample);

  // 2. One RoI of a generated image, pooled by each method to 7 x 7 and to 28 x 28.
  const Annotation a = generate_shapes({out + "/shapes", 10, 5, 256}).items.front();
  const Image image = load_image(a.image_path);
  const Box r = a.objects.front().box;
  const Tensor features = unsqueeze(image_to_tensor(image), 0);  // (1, 3, H, W): the image is the feature map
  const Tensor roi = from_vector<float>({float(r.x1), float(r.y1), float(r.x2), float(r.y2)}, {1, 4});
  std::printf("RoI (%.0f, %.0f, %.0f, %.0f) of image %s, a %s\n", r.x1, r.y1, r.x2, r.y2, a.id.c_str(),
              a.objects.front().name.c_str());
  std::vector<Image> crops;
  std::vector<std::string> captions;
  for (int64_t size : {7, 28}) {
    const int zoom = static_cast<int>(112 / size);
    auto add = [&](const Tensor& pooled, const std::string& name) {
      Image crop = tensor_to_image(squeeze(pooled, 0));
      crops.push_back(image_grid({crop}, 1, zoom, 0));
      captions.push_back(name + " " + std::to_string(size) + "x" + std::to_string(size));
    };
    add(roi_pool(features, roi, image0, {size, 1.0}), "RoIPool");
    add(roi_align(features, roi, image0, {size, 1.0, 2, false}), "RoIAlign");
    add(crop_and_resize(features, roi, image0, size, 1.0), "crop+resize");
  }
  Image marked = image;
  draw_labelled_box(marked, r, "RoI", palette(0), 2);
  save_png(marked, out + "/roi.png");
  save_png(image_grid(crops, 3, 1, 8, captions), out + "/pooled.png");
  std::printf("wrote %s/roi.png and %s/pooled.png\n", out.c_str(), out.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
