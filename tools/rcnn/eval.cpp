// rcnn eval: a detector, or results files, scored like the VOC devkit or pycocotools.
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>

#include "core/error.h"
#include "core/threads.h"
#include "datasets/data_folder.h"
#include "detection/coco_eval.h"
#include "detection/evaluate.h"
#include "detection/predictor.h"
#include "detection/voc_eval.h"
#include "tools/rcnn/commands.h"

namespace rcnn::cli {

void add_eval_command(CLI::App& app) {
  struct Options {
    std::string data, split = "test", results, checkpoint, out, metric = "07", plots, device = "cpu";
    int threads = 0;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("eval", "score a detector, or results files (VOC's comp4 files, COCO's results JSON)");
  cmd->add_option("--data", o->data, "the data set folder (VOC or COCO layout)")->required();
  cmd->add_option("--split", o->split, "the split to score");
  auto* checkpoint = cmd->add_option("--checkpoint", o->checkpoint, "a detector: a run folder or its checkpoint file");
  auto* results = cmd->add_option("--results", o->results,
                                  "results to score: a folder of comp4_det_<split>_<class>.txt files, or a COCO results .json");
  checkpoint->excludes(results);
  cmd->add_option("--out", o->out, "with --checkpoint: where results files and PR plots go (default RUN/eval)");
  cmd->add_option("--metric", o->metric,
                  "07: VOC's 11-point AP@0.5; area: VOC2010+'s area under the curve; coco: COCO's AP@[.50:.95] and its summary")
      ->check(CLI::IsMember({"07", "area", "coco"}));
  cmd->add_option("--plots", o->plots, "with --results: write a precision-recall curve per class (PNG) into this folder");
  add_device_options(cmd, o->device, o->threads);
  cmd->callback([o] {
    check(o->checkpoint.empty() != o->results.empty(), "eval: give --checkpoint or --results");
    if (o->threads > 0) set_cpu_threads(o->threads);
    const bool coco = o->metric == "coco";
    auto report = [&](const Dataset& gt, const VocEvaluation& voc, const std::optional<CocoEvaluation>& c) {
      if (!c) {
        std::cout << format_evaluation(voc);
        return;
      }
      std::cout << format_coco_evaluation(*c);
      for (size_t k = 0; k < gt.classes.size(); ++k)
        std::cout << "  " << gt.classes[k] << ": AP@[.50:.95] "
                  << (c->class_ap[k] < 0 ? std::string("- (no objects)") : concat_message(std::fixed, std::setprecision(4), c->class_ap[k])) << "\n";
    };
    if (!o->checkpoint.empty()) {
      LoadedDetector d = load_detector(o->checkpoint, parse_device(o->device));
      EvaluateOptions e;
      e.data_dir = o->data;
      e.split = o->split;
      e.out_dir = !o->out.empty() ? o->out : (std::filesystem::path(checkpoint_path(o->checkpoint)).parent_path() / "eval").string();
      e.use_07_metric = o->metric != "area";
      e.coco_metric = coco;
      const DetectorEvaluation r = evaluate_detector(*d.model, d.info.classes, e);
      std::cout << "iteration " << d.info.iteration << ", " << r.ground_truth.items.size() << " images ("
                << static_cast<int64_t>(std::lround(r.median_detect_seconds * 1000)) << " ms each, the median, decoding apart), "
                << r.detections.size() << " detections; results and PR curves in " << e.out_dir << "\n";
      report(r.ground_truth, r.scores, r.coco);
      return;
    }
    const Dataset gt = read_dataset(o->data, o->split, DataPurpose::Evaluation);
    const bool json_file = std::filesystem::is_regular_file(o->results);
    const std::vector<Detection> found =
        json_file ? read_coco_results(o->results, gt) : read_voc_results(o->results, o->split, gt.classes);
    const auto start = std::chrono::steady_clock::now();
    const VocEvaluation voc = evaluate_voc(gt, found, o->metric != "area");
    std::optional<CocoEvaluation> c;
    if (coco) c = evaluate_coco(gt, found);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!o->plots.empty()) save_precision_recall_plots(voc, o->plots);
    std::cout << gt.items.size() << " images, " << found.size() << " detections, scored in " << std::fixed
              << std::setprecision(1) << seconds * 1000 << " ms\n" << std::defaultfloat;
    report(gt, voc, c);
  });
}

}  // namespace rcnn::cli
