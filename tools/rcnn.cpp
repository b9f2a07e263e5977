// The `rcnn` command:
//   rcnn data shapes|fashion-scenes --out DIR [--images N] [--seed S] [--size PX]
//       generate a detection data set in Pascal VOC's layout
//   rcnn train --config FILE --data DIR --out RUN [--resume] [--set key=value ...] [--device cpu|cuda]
//       train a detector; RUN holds its checkpoint, log, loss curve and config
//   mpirun -np N rcnn train ...
//       the same, data-parallel over N processes (rank 0 writes RUN)
//   rcnn eval --checkpoint RUN --data DIR [--split test] [--metric 07|area]
//   rcnn eval --results DIR --data DIR [--split test] [--metric 07|area]
//       score a detector (or comp4 results files) like the VOC devkit; ends with `mAP@0.5: ...`
//   rcnn predict --checkpoint RUN IMAGE_OR_DIR... --out DIR [--threshold 0.5] [--format png|jpg]
//       drawn detections and one JSON file per image
// Every error ends the program with one line on stderr and a non-zero exit code; in a run of several
// processes, an error on one rank names the rank and stops every rank.
#include <CLI/CLI.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/threads.h"
#include "datasets/draw.h"
#include "datasets/generated.h"
#include "datasets/voc.h"
#include "detection/detector_checkpoint.h"
#include "detection/evaluate.h"
#include "detection/trainer.h"
#include "detection/voc_eval.h"
#include "distributed/world.h"

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

Device parse_device(const std::string& name) { return name == "cuda" ? Device::cuda() : kCPU; }

void add_device_options(CLI::App* cmd, std::string& device, int& threads) {
  cmd->add_option("--device", device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--threads", threads, "CPU threads (default: all cores)")->check(CLI::PositiveNumber);
}

// Exit code of a run stopped by Ctrl-C after saving its state (128 + SIGINT, the shell's convention).
constexpr int kInterruptedExit = 130;

void add_train_command(CLI::App& app, int& exit_code) {
  struct Options {
    std::string config, data, out, split = "trainval", device = "cpu";
    std::vector<std::string> overrides;
    bool resume = false;
    int threads = 0;
    double bucket_mb = TrainOptions{}.bucket_mb;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("train", "train a detector (checkpoints, log and loss curve go to --out)");
  cmd->add_option("--config", o->config, "the config (configs/*.yaml); with --resume, the checkpoint's by default");
  cmd->add_option("--data", o->data, "the data set folder (VOC layout)")->required();
  cmd->add_option("--out", o->out, "the run folder")->required();
  cmd->add_option("--split", o->split, "the split to train on");
  cmd->add_flag("--resume", o->resume, "continue the run in --out from its checkpoint");
  cmd->add_option("--set", o->overrides, "override a config value: --set rpn.nms_threshold=0.6 (repeatable)");
  cmd->add_option("--bucket-mb", o->bucket_mb, "under mpirun: gradients are summed over processes in buckets of this size")
      ->check(CLI::PositiveNumber);
  add_device_options(cmd, o->device, o->threads);
  cmd->callback([o, &exit_code] {
    if (o->threads > 0) set_cpu_threads(o->threads);
    check(!o->config.empty() || o->resume, "train: --config is required (unless --resume)");
    TrainOptions t;
    t.config = o->config.empty() ? parse_config(to_yaml(read_detector_info(o->out).config), o->out, o->overrides)
                                 : load_config(o->config, o->overrides);
    t.data_dir = o->data;
    t.split = o->split;
    t.out_dir = o->out;
    t.resume = o->resume;
    t.device = parse_device(o->device);
    t.bucket_mb = o->bucket_mb;
    const TrainResult r = train_detector(t);
    if (r.unreadable > 0) std::cerr << "warning: " << r.unreadable << " images could not be read and were skipped\n";
    const distributed::World& world = distributed::world();
    if (world.rank() == 0) {
      std::cout << std::fixed << std::setprecision(1)
                << (r.interrupted ? "interrupted at iteration " : "trained to iteration ") << r.iterations << " ("
                << r.images << " images) in " << r.seconds << " s (" << r.waiting_seconds << " s of it waiting for images";
      if (world.size() > 1)
        std::cout << ", " << std::setprecision(2) << r.allreduce_seconds << " s summing gradients over " << world.size()
                  << " processes, " << r.sync_seconds << " s waiting for the slowest";
      std::cout << std::defaultfloat << "); checkpoint " << r.checkpoint << "\n";
    }
    if (r.interrupted) {
      if (world.rank() == 0)
        std::cout << "continue with: rcnn train --resume --data " << o->data << " --out " << o->out
                  << " (under mpirun with any number of processes)\n";
      exit_code = kInterruptedExit;
    }
  });
}

void add_eval_command(CLI::App& app) {
  struct Options {
    std::string data, split = "test", results, checkpoint, out, metric = "07", plots, device = "cpu";
    int threads = 0;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("eval", "score a detector, or VOC results files (comp4_det_<split>_<class>.txt)");
  cmd->add_option("--data", o->data, "the data set folder (Annotations/, JPEGImages/, ImageSets/Main/)")->required();
  cmd->add_option("--split", o->split, "the split to score");
  auto* checkpoint = cmd->add_option("--checkpoint", o->checkpoint, "a detector: a run folder or its checkpoint file");
  auto* results = cmd->add_option("--results", o->results, "the folder with the results files");
  checkpoint->excludes(results);
  cmd->add_option("--out", o->out, "with --checkpoint: where results files and PR plots go (default RUN/eval)");
  cmd->add_option("--metric", o->metric, "07: 11-point AP (VOC2007); area: area under the curve (VOC2010+)")
      ->check(CLI::IsMember({"07", "area"}));
  cmd->add_option("--plots", o->plots, "with --results: write a precision-recall curve per class (PNG) into this folder");
  add_device_options(cmd, o->device, o->threads);
  cmd->callback([o] {
    check(o->checkpoint.empty() != o->results.empty(), "eval: give --checkpoint or --results");
    if (o->threads > 0) set_cpu_threads(o->threads);
    if (!o->checkpoint.empty()) {
      LoadedDetector d = load_detector(o->checkpoint, parse_device(o->device));
      EvaluateOptions e;
      e.data_dir = o->data;
      e.split = o->split;
      e.out_dir = !o->out.empty() ? o->out : (std::filesystem::path(checkpoint_path(o->checkpoint)).parent_path() / "eval").string();
      e.use_07_metric = o->metric == "07";
      const DetectorEvaluation r = evaluate_detector(*d.model, d.info.classes, e);
      std::cout << "iteration " << d.info.iteration << ", " << r.ground_truth.items.size() << " images ("
                << static_cast<int64_t>(std::lround(r.median_detect_seconds * 1000)) << " ms each, the median, decoding apart), "
                << r.detections.size() << " detections; results and PR curves in " << e.out_dir << "\n"
                << format_evaluation(r.scores);
      return;
    }
    Dataset gt = read_voc_ground_truth(o->data, o->split);
    VocEvaluation e = evaluate_voc(gt, read_voc_results(o->results, o->split, gt.classes), o->metric == "07");
    if (!o->plots.empty()) save_precision_recall_plots(e, o->plots);
    std::cout << format_evaluation(e);
  });
}

bool is_image_file(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

void add_predict_command(CLI::App& app, int& exit_code) {
  struct Options {
    std::string checkpoint, out, device = "cpu", format = "png";
    std::vector<std::string> inputs;
    double threshold = 0.5;
    int threads = 0;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("predict", "detect objects in images: drawn results and one JSON file per image");
  cmd->add_option("--checkpoint", o->checkpoint, "a detector: a run folder or its checkpoint file")->required();
  cmd->add_option("inputs", o->inputs, "images, or folders of images (.jpg, .jpeg, .png, .bmp)")->required();
  cmd->add_option("--out", o->out, "where the drawn images and JSON files go")->required();
  cmd->add_option("--threshold", o->threshold, "the lowest score kept")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--format", o->format, "the drawn images' format: png or jpg")->check(CLI::IsMember({"png", "jpg"}));
  add_device_options(cmd, o->device, o->threads);
  cmd->callback([o, &exit_code] {
    if (o->threads > 0) set_cpu_threads(o->threads);
    LoadedDetector d = load_detector(o->checkpoint, parse_device(o->device));
    const LoaderOptions loading = loader_options(d.info.config, /*training=*/false);
    std::vector<std::filesystem::path> files;
    for (const std::string& input : o->inputs) {
      check(std::filesystem::exists(input), "predict: ", input, " does not exist");
      if (!std::filesystem::is_directory(input)) {
        files.emplace_back(input);
        continue;
      }
      std::vector<std::filesystem::path> found;
      for (const auto& entry : std::filesystem::directory_iterator(input))
        if (entry.is_regular_file() && is_image_file(entry.path())) found.push_back(entry.path());
      std::sort(found.begin(), found.end());
      check(!found.empty(), "predict: ", input, " holds no images (.jpg, .jpeg, .png, .bmp)");
      files.insert(files.end(), found.begin(), found.end());
    }
    std::filesystem::create_directories(o->out);
    int failed = 0;
    for (const std::filesystem::path& file : files) {
      try {
        Image image = load_image(file.string());
        Annotation a;
        a.id = file.stem().string();
        a.image_path = file.string();
        a.width = image.width;
        a.height = image.height;
        nlohmann::json boxes = nlohmann::json::array();
        for (const Detection& det : d.model->detect(prepare_sample(a, loading, false))) {
          if (det.score < o->threshold) continue;
          const std::string& name = d.info.config.mode == "rpn" ? std::string("object") : d.info.classes.at(det.label);
          boxes.push_back({{"label", name}, {"score", det.score}, {"box", {det.box.x1, det.box.y1, det.box.x2, det.box.y2}}});
          char text[64];
          std::snprintf(text, sizeof text, "%s %.2f", name.c_str(), det.score);
          draw_labelled_box(image, det.box, text, palette(static_cast<int>(det.label) + 1), 2);
        }
        const std::string base = (std::filesystem::path(o->out) / a.id).string();
        if (o->format == "png") save_png(image, base + ".png");
        if (o->format == "jpg") save_jpeg(image, base + ".jpg");
        std::ofstream(base + ".json") << nlohmann::json{{"image", file.string()}, {"width", a.width}, {"height", a.height},
                                                        {"detections", boxes}}.dump(1) << "\n";
        std::cout << file.string() << ": " << boxes.size() << " detections -> " << base << "." << o->format << ", .json\n";
      } catch (const std::exception& e) {
        ++failed;
        std::cerr << "rcnn: error: " << file.string() << ": " << e.what() << "\n";
      }
    }
    if (failed > 0) exit_code = 1;
  });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rcnn.cpp: Faster R-CNN from scratch"};
  app.require_subcommand(1);
  int exit_code = 0;
  add_data_command(app);
  add_train_command(app, exit_code);
  add_eval_command(app);
  add_predict_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
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
