// Chapter 08 — proposals and non-maximum suppression. Steps greedy NMS through 6 boxes by hand, then
// runs the proposal step on a generated image with a stand-in RPN (each anchor scored by its IoU with
// the ground truth, plus noise) and draws the boxes before NMS, after it, and the top few.
//   build/cpu/bin/08_proposals_and_nms [--out runs/08_proposals_and_nms]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "core/rng.h"
#include "datasets/draw.h"
#include "datasets/generated.h"
#include "datasets/transforms.h"
#include "detection/anchors.h"
#include "detection/boxes.h"
#include "detection/nms.h"
#include "detection/proposals.h"
#include "ops/ops.h"

using namespace rcnn;

static Image with_boxes(const Image& base, const Tensor& boxes, Color color, int thickness = 1) {
  Image image = base;
  for (const Box& r : box_list(boxes)) {
    draw_rect(image, static_cast<int>(r.x1), static_cast<int>(r.y1), static_cast<int>(r.x2) - 1, static_cast<int>(r.y2) - 1,
              color, thickness);
  }
  return image;
}

int main(int argc, char** argv) try {
  CLI::App app{"Chapter 08: proposals and NMS"};
  std::string out = "runs/08_proposals_and_nms";
  double by_hand = 0.5;                                  // part 1's threshold
  double threshold = ProposalOptions{}.nms_threshold;  // part 2's: the RPN's (0.7)
  app.add_option("--out", out, "where the pictures go");
  app.add_option("--hand-threshold", by_hand, "the IoU above which NMS by hand drops a box")->check(CLI::Range(0.0, 1.0));
  app.add_option("--nms-threshold", threshold, "the proposal step's NMS threshold")->check(CLI::Range(0.0, 1.0));
  CLI11_PARSE(app, argc, argv);
  std::filesystem::create_directories(out);

  // 1. NMS by hand: 6 boxes, two clusters and a loner.
  const Tensor boxes = from_vector<float>({10, 10, 60, 60,  12, 14, 62, 58,  80, 20, 130, 80,  8, 6, 58, 62,
                                           84, 24, 128, 76,  150, 40, 190, 90},
                                          {6, 4});
  const Tensor scores = tensor({0.9, 0.75, 0.8, 0.6, 0.85, 0.4});
  const std::vector<double> s = scores.to_vector<double>();
  const Tensor iou = box_iou(boxes, boxes);
  std::printf("NMS at IoU %g, boxes in decreasing score:\n", by_hand);
  const std::vector<int64_t> order = sort(scores, 0, true).indices.to_vector<int64_t>();
  std::vector<bool> dropped(6, false);
  for (int64_t i : order) {
    if (dropped[i]) continue;
    std::printf("  keep box %lld (score %.2f)", static_cast<long long>(i), s[i]);
    for (int64_t j : order)
      if (!dropped[j] && j != i && s[j] <= s[i] && iou.at({i, j}) > by_hand) {
        dropped[j] = true;
        std::printf("; drop box %lld (IoU %.2f)", static_cast<long long>(j), iou.at({i, j}));
      }
    std::printf("\n");
    dropped[i] = true;  // done with it
  }
  const std::vector<int64_t> keep = nms(boxes, scores, by_hand).to_vector<int64_t>();
  std::printf("nms() keeps:");
  for (int64_t k : keep) std::printf(" %lld", static_cast<long long>(k));
  std::printf("\n");
  Image steps(200, 100);
  const std::vector<Box> b = box_list(boxes);
  for (bool kept_pass : {false, true})  // dropped boxes first, the kept ones on top
    for (int64_t i = 0; i < 6; ++i) {
      const bool kept = std::find(keep.begin(), keep.end(), i) != keep.end();
      if (kept != kept_pass) continue;
      char label[16];
      std::snprintf(label, sizeof label, "%lld: %.2f", static_cast<long long>(i), s[i]);
      draw_labelled_box(steps, b[i], kept ? label : std::to_string(i), kept ? palette(2) : Color{170, 170, 170},
                        kept ? 2 : 1);
    }
  save_png(image_grid({steps}, 1, 3), out + "/nms_steps.png");

  // 2. The proposal step on a generated image, with a stand-in for a trained RPN: each anchor's
  //    objectness is its best IoU with the ground truth plus noise, its deltas small noise.
  const Dataset data = generate_shapes({out + "/shapes", 10, 7, 256});
  const Annotation& a = data.items.front();
  const Image image = load_image(a.image_path);
  const Tensor truth = boxes_tensor(a);
  // Anchors of 32-128 pixels, not chapter 06's 128-512: those are for 600-pixel photographs, and these
  // shapes are 16-160 pixels on a 256-pixel image (the demo's config uses 16-128, chapter 12).
  const Tensor anchors = grid_anchors({{32, 64, 128}, {0.5, 1, 2}, 16}, 16, 16);
  Generator gen(0);
  const Tensor objectness = max(box_iou(truth, anchors), {0}) + randn({anchors.size(0)}, gen) * 0.05;
  const Tensor deltas = randn({anchors.size(0), 4}, gen) * 0.1;
  std::printf("image %s: %lld objects, %lld anchors\n", a.id.c_str(), static_cast<long long>(truth.size(0)),
              static_cast<long long>(anchors.size(0)));
  ProposalOptions before;  // no NMS: what the RPN would send on without it
  before.pre_nms_top_n = 60;
  before.nms_threshold = 1.0;
  before.post_nms_top_n = 60;
  const Proposals raw = propose(anchors, objectness, deltas, image.height, image.width, before);
  ProposalOptions o;
  o.pre_nms_top_n = 60;
  o.post_nms_top_n = 60;
  o.nms_threshold = threshold;
  const Proposals kept = propose(anchors, objectness, deltas, image.height, image.width, o);
  std::printf("top 60 by objectness: %lld boxes; after NMS at %g: %lld\n", static_cast<long long>(raw.boxes.size(0)),
              threshold, static_cast<long long>(kept.boxes.size(0)));
  char after[32];
  std::snprintf(after, sizeof after, "after NMS at %g", threshold);
  const Image gt = with_boxes(image, truth, palette(0), 2);
  save_png(image_grid({with_boxes(gt, raw.boxes, palette(2)), with_boxes(gt, kept.boxes, palette(2)),
                       with_boxes(gt, narrow(kept.boxes, 0, 0, std::min<int64_t>(10, kept.boxes.size(0))), palette(2), 2)},
                      3, 2, 6, {"top 60 before NMS", after, "the best 10"}),
           out + "/proposals.png");
  std::printf("wrote %s/nms_steps.png and %s/proposals.png\n", out.c_str(), out.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
