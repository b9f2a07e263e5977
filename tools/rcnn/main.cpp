// The `rcnn` command (one file per subcommand beside this one):
//   rcnn data shapes|fashion-scenes --out DIR [--images N] [--seed S] [--size PX] [--format voc|coco]
//       generate a detection data set in Pascal VOC's layout or COCO's
//   rcnn data convert --to coco|voc --data DIR --out DIR     one layout to the other, every split
//   rcnn data stats DIR [--split S]                           images, objects by class and size, warnings
//   rcnn pretrain --config FILE --out WEIGHTS.safetensors [--steps N] [--batch B] [--size PX] [--lr LR]
//       pretrain the config's backbone as a classifier of Fashion-MNIST items (backbone.weights)
//   rcnn train --config FILE --data DIR --out RUN [--resume] [--set key=value ...] [--device cpu|cuda]
//       train a detector; RUN holds its checkpoint, log, loss curve and config
//   mpirun -np N rcnn train ...
//       the same, data-parallel over N processes (rank 0 writes RUN)
//   rcnn eval --checkpoint RUN --data DIR [--split test] [--metric 07|area|coco]
//   rcnn eval --results DIR|FILE.json --data DIR [--split test] [--metric 07|area|coco]
//       score a detector (or results files) like the VOC devkit (ends with `mAP@0.5: ...`), or like
//       pycocotools (its 12-line summary); --data is a VOC or a COCO folder
//   rcnn predict --checkpoint RUN IMAGE_OR_DIR... --out DIR [--threshold 0.5] [--format png|jpg]
//       drawn detections and one JSON file per image
//   rcnn serve --checkpoint RUN [--host 127.0.0.1] [--port 5000] [--device cpu|cuda]
//       a page and a JSON API to try the detector in a browser (serve/)
//   rcnn export --checkpoint RUN --out MODEL.onnx [--height H --width W] [--opset 17]
//       the detector as one ONNX file for onnxruntime (export/, docs/export.md)
// Every error ends the program with one line on stderr and a non-zero exit code; in a run of several
// processes, an error on one rank names the rank and stops every rank.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "core/spelling.h"
#include "distributed/world.h"
#include "tools/rcnn/commands.h"

using namespace rcnn;
using namespace rcnn::cli;

int main(int argc, char** argv) {
  CLI::App app{"rcnn.cpp: Faster R-CNN from scratch"};
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();  // --help shows each option's default
  int exit_code = 0;
  add_data_command(app);
  add_pretrain_command(app, exit_code);
  add_train_command(app, exit_code);
  add_eval_command(app);
  add_predict_command(app, exit_code);
  add_serve_command(app);
  add_export_command(app);
  // A mistyped command names itself and the nearest one (CLI11 would only say one is required).
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> commands;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) commands.push_back(sub->get_name());
    if (std::find(commands.begin(), commands.end(), argv[1]) == commands.end()) {
      std::string list;
      for (const std::string& c : commands) list += (list.empty() ? "" : ", ") + c;
      std::cerr << "rcnn: error: unknown command '" << argv[1] << "'" << did_you_mean(argv[1], commands) << "; the commands are "
                << list << " (rcnn --help)\n";
      return kUsageExit;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {  // a usage error: one line, one exit code (CLI11's own are two lines, 105, 106, ...)
    const CLI::App* at = &app;
    for (const CLI::App* sub : app.get_subcommands()) at = sub;
    std::cerr << "rcnn: error: " << e.what() << " (rcnn " << (at == &app ? "" : at->get_name() + " ") << "--help)\n";
    return kUsageExit;
  } catch (const distributed::AgreedError& e) {  // every rank stopped here: rank 0 says why
    if (distributed::world().rank() == 0) std::cerr << "rcnn: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    distributed::World& world = distributed::world();
    if (world.size() == 1) {
      std::cerr << "rcnn: error: " << e.what() << "\n";
      return 1;
    }
    // The other ranks would wait for this one in their next collective: stop them all now.
    std::cerr << "rcnn: error: rank " << world.rank() << " of " << world.size() << ": " << e.what()
              << " (stopping every rank)\n";
    world.abort(1);
  }
  return exit_code;
}
