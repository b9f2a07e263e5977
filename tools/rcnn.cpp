// The `rcnn` command. Subcommands so far:
//   rcnn data shapes|fashion-scenes --out DIR [--images N] [--seed S] [--size PX]
//       generate a detection data set in Pascal VOC's layout
//   rcnn eval --data DIR --split test --results DIR [--metric 07|area] [--plots DIR]
//       score comp4_det_<split>_<class>.txt results files like the VOC devkit; ends with `mAP@0.5: ...`
// Every error ends the program with one line on stderr and a non-zero exit code.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "datasets/generated.h"
#include "datasets/voc.h"
#include "detection/voc_eval.h"

using namespace rcnn;

namespace {

void add_data_command(CLI::App& app) {
  auto* data = app.add_subcommand("data", "generate a detection data set in Pascal VOC's layout");
  data->require_subcommand(1);
  for (const std::string kind : {"shapes", "fashion-scenes"}) {
    auto options = std::make_shared<GenerateOptions>();
    options->progress = true;
    auto* cmd = data->add_subcommand(kind, kind == "shapes" ? "circles, squares and triangles on textured backgrounds"
                                                            : "Fashion-MNIST items placed on cluttered canvases");
    cmd->add_option("--out", options->out_dir, "output folder (VOC layout)")->required();
    cmd->add_option("--images", options->images, "number of images")->check(CLI::PositiveNumber);
    cmd->add_option("--seed", options->seed, "random seed: the same seed makes the same data set");
    cmd->add_option("--size", options->size, "canvas side in pixels")->check(CLI::Range(64, 4096));
    cmd->callback([options, kind] {
      Dataset d = kind == "shapes" ? generate_shapes(*options) : generate_fashion_scenes(*options);
      size_t objects = 0;
      for (const Annotation& a : d.items) objects += a.objects.size();
      std::cout << "wrote " << d.items.size() << " images with " << objects << " objects of " << d.classes.size()
                << " classes to " << options->out_dir << " (splits train, val, test, trainval)\n";
    });
  }
}

void add_eval_command(CLI::App& app) {
  struct Options {
    std::string data, split = "test", results, metric = "07", plots;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("eval", "score VOC results files (comp4_det_<split>_<class>.txt)");
  cmd->add_option("--data", o->data, "the data set folder (Annotations/, JPEGImages/, ImageSets/Main/)")->required();
  cmd->add_option("--split", o->split, "the split the results are for");
  cmd->add_option("--results", o->results, "the folder with the results files")->required();
  cmd->add_option("--metric", o->metric, "07: 11-point AP (VOC2007); area: area under the curve (VOC2010+)")
      ->check(CLI::IsMember({"07", "area"}));
  cmd->add_option("--plots", o->plots, "write a precision-recall curve per class (PNG) into this folder");
  cmd->callback([o] {
    Dataset gt = read_voc_ground_truth(o->data, o->split);
    VocEvaluation e = evaluate_voc(gt, read_voc_results(o->results, o->split, gt.classes), o->metric == "07");
    if (!o->plots.empty()) {
      std::filesystem::create_directories(o->plots);
      for (const ClassAP& c : e.classes) save_png(precision_recall_plot(c), o->plots + "/pr_" + c.name + ".png");
    }
    std::cout << format_evaluation(e);
  });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rcnn.cpp: Faster R-CNN from scratch"};
  app.require_subcommand(1);
  add_data_command(app);
  add_eval_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "rcnn: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
