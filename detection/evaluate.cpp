#include "detection/evaluate.h"

#include <chrono>
#include <filesystem>
#include <iostream>

#include "core/progress.h"
#include "core/timing.h"
#include "datasets/data_folder.h"
#include "detection/trainer.h"

namespace rcnn {

DetectionRun detect_dataset(FasterRcnn& model, const Dataset& data, bool progress) {
  model.eval();
  Loader loader(data, loader_options(model.config, /*training=*/false));
  loader.start_epoch(0);
  DetectionRun run;
  std::vector<double> seconds;
  ProgressBar bar("detect", static_cast<int64_t>(data.items.size()), "img");
  Sample sample;
  int64_t done = 0;
  while (loader.next(sample)) {
    ++done;
    if (!sample.error.empty()) {
      std::cerr << "\nwarning: skipped image " << sample.id << ": " << sample.error << "\n";
      ++run.unreadable;
      continue;
    }
    const auto start = std::chrono::steady_clock::now();
    const std::vector<Detection> found = model.detect(sample);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    run.detections.insert(run.detections.end(), found.begin(), found.end());
    if (progress) bar.update(done);
  }
  if (progress) bar.finish();
  run.median_seconds = median(std::move(seconds));
  return run;
}

Dataset class_agnostic(const Dataset& ground_truth) {
  Dataset d = ground_truth;
  d.classes = {"object"};
  d.category_ids = {};
  for (Annotation& a : d.items)
    for (Object& o : a.objects) o.label = 0, o.name = "object";
  return d;
}

std::string coco_results_file(const std::string& dir, const std::string& split) {
  return (std::filesystem::path(dir) / ("coco_results_" + split + ".json")).string();
}

DetectorEvaluation evaluate_detector(FasterRcnn& model, const std::vector<std::string>& classes, const EvaluateOptions& o) {
  DetectorEvaluation e;
  e.ground_truth = read_dataset(o.data_dir, o.split, DataPurpose::Evaluation);
  check(!e.ground_truth.items.empty(), o.data_dir, ": split '", o.split, "' has no images to evaluate on");
  check(e.ground_truth.classes == classes, o.data_dir, " has other classes than the detector was trained on");
  // The annotations give the images too (a missing one is skipped with a warning, its objects missed).
  DetectionRun run = detect_dataset(model, e.ground_truth, o.progress);
  e.detections = std::move(run.detections);
  e.median_detect_seconds = run.median_seconds;
  if (model.config.mode == "rpn") e.ground_truth = class_agnostic(e.ground_truth);
  e.scores = evaluate_voc(e.ground_truth, e.detections, o.use_07_metric);
  if (o.coco_metric) e.coco = evaluate_coco(e.ground_truth, e.detections);
  if (!o.out_dir.empty()) {
    const std::filesystem::path out(o.out_dir);
    write_voc_results((out / "results").string(), o.split, e.ground_truth.classes, e.detections);
    write_coco_results(coco_results_file((out / "results").string(), o.split), e.ground_truth, e.detections);
    save_precision_recall_plots(e.scores, (out / "plots").string());
  }
  return e;
}

}  // namespace rcnn
