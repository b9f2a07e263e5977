// Chapter 13 — evaluating a detector. Scores a trained detector on the test split like the
// VOC devkit (chapter 11's ruler), draws its precision-recall curves, its most confident correct
// detections, and its failures sorted into kinds (Hoiem et al. 2012, "Diagnosing error in object
// detectors"): a box on the right object but badly placed, a second box on an object already found, an
// object called by another class's name, a box on background, and objects it missed.
//   build/cpu/bin/13_evaluating_a_detector [--checkpoint RUN] [--data DIR] [--out DIR]
// (default: the demo's runs/shapes_tiny, else the detector chapter 12 leaves in runs/12_faster_rcnn/run)
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <numeric>

#include "datasets/draw.h"
#include "detection/detector_checkpoint.h"
#include "detection/error_kinds.h"
#include "detection/evaluate.h"

using namespace rcnn;

namespace {

Image picture(const Annotation& a, const Box& box, const std::string& label, Color color) {
  Image image = load_image(a.image_path);
  for (const Object& o : a.objects) draw_rect(image, int(o.box.x1), int(o.box.y1), int(o.box.x2) - 1, int(o.box.y2) - 1, {255, 255, 255}, 1);
  draw_labelled_box(image, box, label, color, 2);
  return image;
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"Chapter 13: evaluating a detector"};
  std::string checkpoint, data_dir, split = "test", out = "runs/13_evaluating_a_detector";
  app.add_option("--checkpoint", checkpoint, "a trained detector (default: make demo's runs/shapes_tiny, else chapter 12's)");
  app.add_option("--data", data_dir, "its data set (default: the one that detector was trained on)");
  app.add_option("--split", split, "the split to score");
  app.add_option("--out", out, "where the pictures go");
  CLI11_PARSE(app, argc, argv);

  // The detector to look at: the demo's where `make demo` trained it, else the one chapter 12 leaves
  // (so `make tutorials` alone runs this chapter); with neither, the chapter fails and says why.
  if (checkpoint.empty()) {
    for (const auto& [run, data] : {std::pair<std::string, std::string>{"runs/shapes_tiny", "data/shapes"},
                                    {"runs/12_faster_rcnn/run", "runs/12_faster_rcnn/shapes"}})
      if (std::filesystem::exists(checkpoint_path(run))) {
        checkpoint = run;
        if (data_dir.empty()) data_dir = data;
        break;
      }
  }
  if (checkpoint.empty() || !std::filesystem::exists(checkpoint_path(checkpoint))) {
    std::fprintf(stderr, "error: chapter 13 evaluates a trained detector and finds none%s%s: run chapter 12 first "
                         "(`make tutorials` runs the chapters in order) or `make demo`, or pass --checkpoint\n",
                 checkpoint.empty() ? "" : " at ", checkpoint.c_str());
    return 1;
  }
  if (data_dir.empty()) data_dir = "data/shapes";
  LoadedDetector d = load_detector(checkpoint);
  EvaluateOptions o;
  o.data_dir = data_dir;
  o.split = split;
  o.out_dir = out;
  o.use_07_metric = false;
  o.progress = false;
  const DetectorEvaluation e = evaluate_detector(*d.model, d.info.classes, o);
  std::printf("%s after %lld iterations, on %zu %s images (area under the PR curve, VOC2010+):\n%s", checkpoint.c_str(),
              static_cast<long long>(d.info.iteration), e.ground_truth.items.size(), split.c_str(),
              format_evaluation(e.scores).c_str());

  std::vector<Image> curves;
  for (const ClassAP& c : e.scores.classes) curves.push_back(precision_recall_plot(c));
  save_png(image_grid(curves, static_cast<int>(curves.size())), out + "/pr_curves.png");

  // Detections in decreasing score, each with the evaluation's verdict.
  std::map<std::string, const Annotation*> truth;
  for (const Annotation& a : e.ground_truth.items) truth[a.id] = &a;
  std::vector<size_t> order(e.detections.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return e.detections[a].score > e.detections[b].score; });
  const std::vector<std::string>& names = e.ground_truth.classes;
  std::vector<Image> best, failures;
  std::vector<std::string> best_labels, failure_labels;
  int counts[4] = {0, 0, 0, 0};
  for (size_t i : order) {
    const Detection& det = e.detections[i];
    const Annotation& a = *truth.at(det.image_id);
    char label[64];
    std::snprintf(label, sizeof label, "%s %.2f", names[det.label].c_str(), det.score);
    if (e.scores.verdicts[i] == Verdict::TruePositive && best.size() < 4) {
      best.push_back(picture(a, det.box, label, palette(static_cast<int>(det.label) + 1)));
      best_labels.push_back(a.id + ": " + label);
    }
    if (e.scores.verdicts[i] != Verdict::FalsePositive || det.score < 0.5) continue;
    const ErrorKind kind = classify_false_positive(det, a);  // detection/error_kinds.h
    if (counts[static_cast<int>(kind)]++ == 0) {  // the most confident of each kind
      failures.push_back(picture(a, det.box, label, {255, 40, 40}));
      failure_labels.push_back(std::string(error_kind_name(kind)) + ": " + label);
    }
  }
  // Missed: an object no correct detection of its class covers by more than half.
  int missed = 0;
  for (const Annotation& a : e.ground_truth.items) {
    for (const Object& obj : a.objects) {
      if (obj.difficult) continue;
      bool found = false;
      for (size_t i = 0; i < e.detections.size() && !found; ++i) {
        const Detection& det = e.detections[i];
        found = e.scores.verdicts[i] == Verdict::TruePositive && det.image_id == a.id && det.label == obj.label &&
                voc_iou(det.box, obj.box) > 0.5;
      }
      if (found) continue;
      if (missed++ < 2) {
        failures.push_back(picture(a, obj.box, "missed " + names[obj.label], {255, 200, 0}));
        failure_labels.push_back("missed: " + a.id);
      }
    }
  }
  std::printf("false positives scoring 0.5 or more: %d localisation, %d duplicate, %d confusion, %d background; "
              "%d objects missed\n",
              counts[static_cast<int>(ErrorKind::Localisation)], counts[static_cast<int>(ErrorKind::Duplicate)],
              counts[static_cast<int>(ErrorKind::Confusion)], counts[static_cast<int>(ErrorKind::Background)], missed);
  // What each kind costs, TIDE's way: the mAP an oracle that fixes every error of that kind would add
  // (all false positives, whatever their score: the low-scoring tail is part of the AP too).
  const ErrorCosts cost = error_costs(e.ground_truth, e.detections, e.scores, o.use_07_metric);
  std::printf("mAP gained by fixing each kind of error (every score):\n");
  for (ErrorKind k : {ErrorKind::Localisation, ErrorKind::Duplicate, ErrorKind::Confusion, ErrorKind::Background})
    std::printf("  %-13s %5lld false positives  %+.4f\n", error_kind_name(k), static_cast<long long>(cost.counts[static_cast<int>(k)]),
                cost.kinds[static_cast<int>(k)]);
  std::printf("  %-13s %5lld objects          %+.4f\n", "missed", static_cast<long long>(cost.missed_objects), cost.missed);
  std::printf("the highest recall each class reaches (at the lowest score kept):");
  for (const ClassAP& c : e.scores.classes) std::printf(" %s %.3f", c.name.c_str(), c.recall.empty() ? 0.0 : c.recall.back());
  std::printf("\n");
  if (!best.empty()) save_png(image_grid(best, 4, 1, 6, best_labels), out + "/best.png");
  if (!failures.empty()) save_png(image_grid(failures, 3, 1, 6, failure_labels), out + "/failures.png");
  std::printf("wrote %s/pr_curves.png, best.png, failures.png\n", out.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
