// Chapter 07 — the Region Proposal Network's targets and losses. On a generated image, matches every
// anchor to the ground truth (IoU >= 0.7 object, < 0.3 background, each box's best anchors objects
// too), samples 256 of them (at most half objects), draws them, and computes the two RPN losses of an
// untrained head on them.
//   build/cpu/bin/07_region_proposal_network [--out runs/07_region_proposal_network]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "core/rng.h"
#include "datasets/draw.h"
#include "datasets/generated.h"
#include "datasets/transforms.h"
#include "detection/anchors.h"
#include "detection/rpn.h"
#include "ops/ops.h"

using namespace rcnn;

int main(int argc, char** argv) try {
  CLI::App app{"Chapter 07: the RPN's targets and losses"};
  std::string out = "runs/07_region_proposal_network";
  app.add_option("--out", out, "where the pictures go");
  CLI11_PARSE(app, argc, argv);
  std::filesystem::create_directories(out);

  // The image with the most objects of ten generated ones (generate_shapes returns what it wrote).
  const Dataset data = generate_shapes({out + "/shapes", 10, 3, 256});
  const Annotation a = most_objects(data.items);
  const Image image = load_image(a.image_path);
  const Tensor truth = boxes_tensor(a);

  // Anchors for a 256 x 256 image at stride 16: sizes that suit its shapes (16 to 160 pixels).
  const AnchorOptions anchor_options{{32, 64, 128}, {0.5, 1, 2}, 16};
  const Tensor anchors = grid_anchors(anchor_options, 16, 16);
  Generator gen(0);
  const RpnTargets targets = rpn_targets(anchors, truth, image.height, image.width, {}, gen);
  const std::vector<int64_t> labels = targets.labels.to_vector<int64_t>();
  const int64_t objects = std::count(labels.begin(), labels.end(), 1);
  const int64_t background = std::count(labels.begin(), labels.end(), 0);
  std::printf("image %s: %zu objects, %lld anchors\n", a.id.c_str(), a.objects.size(),
              static_cast<long long>(anchors.size(0)));
  std::printf("sampled %lld anchors: %lld objects, %lld background; %lld left out\n",
              static_cast<long long>(targets.sampled), static_cast<long long>(objects),
              static_cast<long long>(background), static_cast<long long>(anchors.size(0) - targets.sampled));

  // The sample drawn: object anchors in green over the ground truth (red), background in grey.
  const std::vector<Box> boxes = box_list(anchors);
  Image fg = image, bg = image;
  for (const Object& o : a.objects) draw_labelled_box(fg, o.box, o.name, palette(0), 2);
  for (size_t i = 0; i < labels.size(); ++i) {
    const Box& r = boxes[i];
    if (labels[i] == 1) draw_rect(fg, int(r.x1), int(r.y1), int(r.x2) - 1, int(r.y2) - 1, palette(2), 1);
    if (labels[i] == 0) draw_rect(bg, int(r.x1), int(r.y1), int(r.x2) - 1, int(r.y2) - 1, {90, 90, 90}, 1);
  }
  save_png(image_grid({fg, bg}, 2, 2, 6, {"object anchors (sampled)", "background anchors (sampled)"}),
           out + "/rpn_targets.png");

  // An untrained head on a random feature map: objectness near 0 (log 2 per anchor), small deltas.
  RpnHead head(32, 64, anchor_options.count(), gen);
  const RpnHead::Outputs outputs = head.predict(randn({1, 32, 16, 16}, gen));
  const RpnLosses losses = rpn_losses(outputs, targets);
  std::printf("untrained head: objectness loss %.4f (log 2 = 0.6931), box loss %.4f\n", losses.objectness.item(),
              losses.box.item());
  std::printf("wrote %s/rpn_targets.png\n", out.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
