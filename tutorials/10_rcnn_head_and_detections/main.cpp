// Chapter 10 — the R-CNN head and post-processing. On a generated image: proposals from a stand-in RPN
// (as in chapter 08), the R-CNN's sample of them (ground truth added, 128 RoIs, at most a quarter
// objects) drawn, the losses of an untrained head, then the post-processing of a stand-in head that
// scores each RoI by its overlap with the truth: softmax, class-specific boxes, per-class NMS, records.
//   build/cpu/bin/10_rcnn_head_and_detections [--out runs/10_rcnn_head_and_detections]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/rng.h"
#include "datasets/draw.h"
#include "datasets/generated.h"
#include "datasets/transforms.h"
#include "detection/anchors.h"
#include "detection/postprocess.h"
#include "detection/proposals.h"
#include "detection/rcnn_head.h"
#include "detection/roi_pool.h"
#include "ops/ops.h"

using namespace rcnn;

int main(int argc, char** argv) try {
  CLI::App app{"Chapter 10: the R-CNN head and post-processing"};
  std::string out = "runs/10_rcnn_head_and_detections";
  app.add_option("--out", out, "where the pictures go");
  CLI11_PARSE(app, argc, argv);
  std::filesystem::create_directories(out);

  const Dataset data = generate_shapes({out + "/shapes", 10, 3, 256});
  const Annotation a = most_objects(data.items);
  const Image image = load_image(a.image_path);
  const int64_t classes = static_cast<int64_t>(data.classes.size());
  const Tensor truth = boxes_tensor(a), truth_classes = labels_tensor(a);
  const int64_t G = truth.size(0);

  // Proposals from a stand-in RPN (objectness = best IoU with the truth + noise), as in chapter 08.
  Generator gen(0);
  const Tensor anchors = grid_anchors({{32, 64, 128}, {0.5, 1, 2}, 16}, 16, 16);
  const Tensor objectness = max(box_iou(truth, anchors), {0}) + randn({anchors.size(0)}, gen) * 0.05;
  const Proposals proposals = propose(anchors, objectness, randn({anchors.size(0), 4}, gen) * 0.1, image.height,
                                      image.width, {600, 0.7, 300, 8});

  // 1. The R-CNN's sample: the ground truth joins the proposals, IoU >= 0.5 object, [0, 0.5) background.
  const RcnnSample s = rcnn_targets(proposals.boxes, truth, truth_classes, {}, gen);
  const std::vector<int64_t> labels = s.labels.to_vector<int64_t>();
  const int64_t objects = std::count_if(labels.begin(), labels.end(), [](int64_t l) { return l > 0; });
  std::printf("image %s: %lld objects, %lld proposals; sampled %zu RoIs: %lld objects, %lld background\n", a.id.c_str(),
              static_cast<long long>(G), static_cast<long long>(proposals.boxes.size(0)), labels.size(),
              static_cast<long long>(objects), static_cast<long long>(labels.size() - objects));
  Image sampled = image;
  const std::vector<Box> rb = box_list(s.rois);
  for (size_t i = 0; i < labels.size(); ++i) {
    const Box& r = rb[i];
    if (labels[i] == 0) draw_rect(sampled, int(r.x1), int(r.y1), int(r.x2) - 1, int(r.y2) - 1, {120, 120, 120}, 1);
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    const Box& r = rb[i];
    if (labels[i] > 0) draw_rect(sampled, int(r.x1), int(r.y1), int(r.x2) - 1, int(r.y2) - 1, palette(int(labels[i])), 2);
  }

  // 2. An untrained head on the sample's pooled features (here: the image itself, at stride 1).
  RcnnHead head(3 * 7 * 7, 64, classes, 0.5, gen);
  const Tensor pooled = roi_align(unsqueeze(image_to_tensor(image), 0), s.rois, zeros({s.rois.size(0)}, kInt64),
                                  {7, 1.0, 2, false});
  const RcnnLosses l = rcnn_losses(head.predict(pooled), s);
  std::printf("untrained head: classification loss %.3f (log %lld = %.3f), box loss %.4f\n", l.classification.item(),
              static_cast<long long>(classes + 1), std::log(double(classes + 1)), l.box.item());

  // 3. Post-processing of a stand-in head: each proposal scores its best-overlapping object's class by
  //    that IoU, and its deltas are exactly the ones that move it onto that object.
  const Tensor iou = box_iou(truth, proposals.boxes);            // (G, P)
  const Tensor best = argmax(iou, 0), overlap = max(iou, {0});  // (P)
  const int64_t P = proposals.boxes.size(0);
  const Tensor object_class = index_select(truth_classes, 0, best);
  // Background logit 2 (1 - IoU), the object's class 8 IoU, the other classes 0.
  const Tensor background = unsqueeze((1.0 - overlap) * 2.0, 1);
  const Tensor hot = eq(unsqueeze(arange(classes, kInt64), 0), unsqueeze(object_class, 1)).to(kFloat32);
  const Tensor class_logits = concat({background, hot * unsqueeze(overlap, 1) * 8.0}, 1);
  const Tensor target = encode_boxes(proposals.boxes, index_select(truth, 0, best));
  const Tensor deltas = reshape(expand(unsqueeze(target, 1), {P, classes, 4}), {P, 4 * classes});
  const std::vector<Detection> detections =
      postprocess({class_logits, deltas}, proposals.boxes, image.height, image.width, 1.0, a.id);
  std::printf("detections (score > 0.05, per-class NMS 0.3): %zu\n", detections.size());
  Image found = image;
  for (size_t i = 0; i < detections.size() && i < 5; ++i) {
    const Detection& d = detections[i];
    std::printf("  %-8s %.3f  (%.1f, %.1f, %.1f, %.1f)\n", data.classes[d.label].c_str(), d.score, d.box.x1, d.box.y1,
                d.box.x2, d.box.y2);
  }
  for (const Detection& d : detections) {  // all of them go to evaluation; a picture shows the confident
    if (d.score < 0.5) continue;
    char label[32];
    std::snprintf(label, sizeof label, "%s %.2f", data.classes[d.label].c_str(), d.score);
    draw_labelled_box(found, d.box, label, palette(static_cast<int>(d.label) + 1), 2);
  }
  save_png(image_grid({sampled, found}, 2, 2, 6,
                      {"sampled RoIs: objects (colour), background (grey)", "detections scoring 0.5 or more"}),
           out + "/rcnn.png");
  std::printf("wrote %s/rcnn.png\n", out.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
