// The `rcnn` command:
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
// Every error ends the program with one line on stderr and a non-zero exit code; in a run of several
// processes, an error on one rank names the rank and stops every rank.
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"
#include "core/interrupt.h"
#include "core/spelling.h"
#include "core/threads.h"
#include "datasets/convert.h"
#include "datasets/data_folder.h"
#include "datasets/data_stats.h"
#include "datasets/draw.h"
#include "datasets/generated.h"
#include "datasets/voc.h"
#include "detection/detector_checkpoint.h"
#include "detection/coco_eval.h"
#include "detection/evaluate.h"
#include "detection/faster_rcnn.h"
#include "detection/predictor.h"
#include "detection/trainer.h"
#include "detection/voc_eval.h"
#include "distributed/world.h"
#include "layers/safetensors.h"
#include "models/pretrain.h"
#include "serve/http_server.h"

using namespace rcnn;

namespace {

void add_data_command(CLI::App& app) {
  auto* data = app.add_subcommand("data", "generate, convert and describe detection data sets (VOC or COCO layout)");
  data->require_subcommand(1);
  for (const std::string kind : {"shapes", "fashion-scenes"}) {
    auto options = std::make_shared<GenerateOptions>();
    auto format = std::make_shared<std::string>("voc");
    options->progress = true;
    auto* cmd = data->add_subcommand(kind, kind == "shapes" ? "circles, squares and triangles on textured backgrounds"
                                                            : "Fashion-MNIST items placed on cluttered canvases");
    cmd->add_option("--out", options->out_dir, "output folder")->required();
    cmd->add_option("--images", options->images, "number of images")->check(CLI::PositiveNumber);
    cmd->add_option("--seed", options->seed, "random seed: the same seed makes the same data set");
    cmd->add_option("--size", options->size, "canvas side in pixels")->check(CLI::Range(64, 4096));
    cmd->add_option("--format", *format, "the folder's layout: voc or coco")->check(CLI::IsMember({"voc", "coco"}));
    cmd->callback([options, kind, format] {
      const std::string out = options->out_dir;
      if (*format == "coco") options->out_dir = out + ".voc-tmp";  // generated in VOC's layout, then converted
      Dataset d = kind == "shapes" ? generate_shapes(*options) : generate_fashion_scenes(*options);
      if (*format == "coco") {
        convert_data(options->out_dir, out, DataFormat::Coco);
        std::filesystem::remove_all(options->out_dir);
      }
      size_t objects = 0;
      for (const Annotation& a : d.items) objects += a.objects.size();
      std::cout << "wrote " << d.items.size() << " images with " << objects << " objects of " << d.classes.size()
                << " classes to " << out << " (" << (*format == "coco" ? "COCO" : "VOC")
                << " layout; splits train, val, test, trainval)\n";
    });
  }
  struct ConvertOptions {
    std::string from, to, data, out;
  };
  auto c = std::make_shared<ConvertOptions>();
  auto* convert = data->add_subcommand("convert", "a data set from VOC's layout to COCO's or back, every split");
  convert->add_option("--from", c->from, "the layout of --data (found out when not given)")->check(CLI::IsMember({"voc", "coco"}));
  convert->add_option("--to", c->to, "the layout to write")->required()->check(CLI::IsMember({"voc", "coco"}));
  convert->add_option("--data", c->data, "the data set folder")->required()->check(CLI::ExistingDirectory);
  convert->add_option("--out", c->out, "the folder to write")->required();
  convert->callback([c] {
    const DataFormat found = data_format(c->data), to = c->to == "coco" ? DataFormat::Coco : DataFormat::Voc;
    check(c->from.empty() || (c->from == "coco") == (found == DataFormat::Coco), "convert: ", c->data, " is in ",
          format_name(found), " layout, not ", c->from == "coco" ? "COCO" : "VOC");
    const ConversionSummary r = convert_data(c->data, c->out, to);
    std::cout << "converted " << r.splits << " splits, " << r.images << " images, " << r.objects << " objects from "
              << format_name(found) << " (" << c->data << ") to " << format_name(to) << " (" << c->out << ")";
    if (r.crowds_left_out > 0) std::cout << "; " << r.crowds_left_out << " crowd regions left out (VOC has none)";
    if (r.reencoded > 0) std::cout << "; " << r.reencoded << " images re-encoded as JPEG";
    if (r.missing_images > 0) std::cout << "; " << r.missing_images << " images missing, not copied";
    std::cout << "\n";
  });
  auto dir = std::make_shared<std::string>();
  auto split = std::make_shared<std::string>();
  auto* stats = data->add_subcommand("stats", "images, objects per class and size, and what will train badly");
  stats->add_option("data", *dir, "the data set folder")->required()->check(CLI::ExistingDirectory);
  stats->add_option("--split", *split, "one split (default: every split)");
  stats->callback([dir, split] {
    const std::vector<std::string> splits = split->empty() ? data_splits(*dir) : std::vector<std::string>{*split};
    check(!splits.empty(), "stats: ", *dir, " holds no split (ImageSets/Main/<split>.txt or annotations/instances_<split>.json)");
    std::cout << *dir << ": " << format_name(data_format(*dir)) << " layout\n";
    for (const std::string& s : splits) std::cout << describe_data(read_dataset(*dir, s, DataPurpose::Evaluation), s);
  });
}

Device parse_device(const std::string& name) { return name == "cuda" ? Device::cuda() : kCPU; }

void add_device_options(CLI::App* cmd, std::string& device, int& threads) {
  cmd->add_option("--device", device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--threads", threads, "CPU threads (default: all cores)")->check(CLI::PositiveNumber);
}

// Exit code of a run stopped by Ctrl-C after saving its state (128 + SIGINT, the shell's convention).
constexpr int kInterruptedExit = 130;
constexpr int kUsageExit = 2;  // a command line rcnn cannot read (as an unknown command)

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
  cmd->add_option("--data", o->data, "the data set folder (VOC or COCO layout)")->required();
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
    if (distributed::world().rank() == 0)
      std::cout << "data: " << o->data << " (" << format_name(data_format(o->data)) << " layout), split " << o->split << "\n";
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
                << r.images << " images) in " << r.seconds << " s (" << r.session_images / std::max(r.seconds, 1e-9)
                << " images/s; " << r.waiting_seconds << " s of it waiting for images";
      if (world.size() > 1)
        std::cout << ", " << std::setprecision(2) << r.allreduce_seconds << " s summing gradients over " << world.size()
                  << " processes, " << r.sync_seconds << " s waiting for the slowest";
      std::cout << std::defaultfloat << "); checkpoint " << r.checkpoint << "\n";
    }
    if (r.interrupted) {
      if (world.rank() == 0)
        std::cout << "continue with: rcnn train --resume --data " << o->data << " --out " << o->out
                  << " --set train.images_per_step=" << r.step_images << "   (one process; under mpirun -np N, "
                  << r.step_images << " / N each: a step stays " << r.step_images << " images)\n";
      exit_code = kInterruptedExit;
    }
  });
}

void add_pretrain_command(CLI::App& app, int& exit_code) {
  struct Options {
    std::string config, out;
    std::vector<std::string> overrides;
    int64_t steps = 2500, batch = 64, held_out = 2000, seed = 0;
    int size = 64;
    double lr = models::PretrainOptions{}.lr;
    int threads = 0;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("pretrain", "pretrain a config's backbone as a classifier of Fashion-MNIST items, "
                                             "painted as fashion-scenes paints them; writes the weights backbone.weights reads");
  cmd->add_option("--config", o->config, "the config whose backbone is pretrained (configs/*.yaml)")->required();
  cmd->add_option("--out", o->out, "the weights file to write (.safetensors)")->required();
  cmd->add_option("--set", o->overrides, "override a config value, as rcnn train takes it (repeatable)");
  cmd->add_option("--steps", o->steps, "SGD steps")->check(CLI::PositiveNumber);
  cmd->add_option("--batch", o->batch, "images per step")->check(CLI::PositiveNumber);
  cmd->add_option("--size", o->size, "image side in pixels (each item fills 65-100% of it)")->check(CLI::Range(32, 1024));
  cmd->add_option("--lr", o->lr, "peak learning rate (warm-up, then a half cosine to 0)")->check(CLI::PositiveNumber);
  cmd->add_option("--held-out", o->held_out, "images of Fashion-MNIST's test items scored at the end")->check(CLI::PositiveNumber);
  cmd->add_option("--seed", o->seed, "the seed of the weights and the images");
  cmd->add_option("--threads", o->threads, "CPU threads (default: all cores)")->check(CLI::PositiveNumber);
  cmd->callback([o, &exit_code] {
    if (o->threads > 0) set_cpu_threads(o->threads);
    DetectorConfig config = load_config(o->config, o->overrides);
    config.backbone.weights.clear();  // pretraining starts from the initialisation
    Generator gen(static_cast<uint64_t>(o->seed));
    const auto backbone = build_backbone(config.backbone, gen);
    const FashionItemRenderer train_items(o->size, "train"), test_items(o->size, "test");
    Generator held_out_gen(static_cast<uint64_t>(o->seed) + 1);
    const LabelledImages held_out = test_items.render(o->held_out, held_out_gen);
    models::PretrainOptions p;
    p.steps = o->steps;
    p.lr = o->lr;
    install_interrupt_handler();
    const int64_t batch = o->batch;
    const models::PretrainResult r = models::pretrain_classifier(
        *backbone, static_cast<int64_t>(train_items.class_names().size()),
        [&](Generator& g) {
          LabelledImages b = train_items.render(batch, g);
          return models::ClassifierBatch{b.images, b.labels};
        },
        {held_out.images, held_out.labels}, p, gen);
    if (r.interrupted) {  // a half-trained backbone under the final name would pass for a finished one
      std::cout << "interrupted at step " << r.steps << " of " << o->steps << ": nothing written (run it again)\n";
      exit_code = kInterruptedExit;
      return;
    }
    const std::filesystem::path out(o->out);
    if (!out.parent_path().empty()) std::filesystem::create_directories(out.parent_path());
    save_safetensors(o->out, backbone->named_parameters(),
                     {{"backbone", config.backbone.name}, {"stride", std::to_string(backbone->stride)},
                      {"pretrained_on", "Fashion-MNIST items, " + std::to_string(o->size) + " px"}});
    std::cout << std::fixed << std::setprecision(3) << config.backbone.name << " backbone pretrained in " << r.steps
              << " steps: loss " << r.loss << " (the last tenth), accuracy " << r.accuracy << " on " << o->held_out
              << " images of Fashion-MNIST's test items; weights " << o->out << "\n";
  });
}

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
    const bool made_out = std::filesystem::create_directories(o->out);
    int failed = 0;
    for (const std::filesystem::path& file : files) {
      try {
        Image image = load_image(file.string());
        const std::string id = file.stem().string();
        nlohmann::json boxes = nlohmann::json::array();
        for (const PredictedObject& p : predict_objects(d, image, o->threshold)) {
          boxes.push_back({{"label", p.label}, {"score", p.score}, {"box", {p.box.x1, p.box.y1, p.box.x2, p.box.y2}}});
          char text[64];
          std::snprintf(text, sizeof text, "%s %.2f", p.label.c_str(), p.score);
          draw_labelled_box(image, p.box, text, palette(static_cast<int>(p.class_index) + 1), 2);
        }
        const std::string base = (std::filesystem::path(o->out) / id).string();
        if (o->format == "png") save_png(image, base + ".png");
        if (o->format == "jpg") save_jpeg(image, base + ".jpg");
        std::ofstream(base + ".json") << nlohmann::json{{"image", file.string()}, {"width", image.width}, {"height", image.height},
                                                        {"detections", boxes}}.dump(1) << "\n";
        std::cout << file.string() << ": " << boxes.size() << " detections -> " << base << "." << o->format << ", .json\n";
      } catch (const std::exception& e) {
        ++failed;
        std::cerr << "rcnn: error: " << file.string() << ": " << e.what() << "\n";
      }
    }
    if (failed == static_cast<int>(files.size())) {
      std::error_code ignored;
      if (made_out) std::filesystem::remove(o->out, ignored);  // made for nothing: not left behind, empty
      std::cerr << "rcnn: error: none of the " << files.size() << " images could be read: " << o->out
                << (made_out ? " was not made\n" : " holds nothing new\n");
    } else if (failed > 0) {
      std::cerr << "rcnn: " << failed << " of " << files.size() << " images could not be read (above); the other "
                << files.size() - failed << " are in " << o->out << "\n";
    }
    if (failed > 0) exit_code = 1;
  });
}

void add_serve_command(CLI::App& app) {
  struct Options {
    std::string checkpoint, host = "127.0.0.1", device = "cpu";
    int port = 5000, threads = 0, workers = 4;
    double max_upload_mb = 20, request_seconds = serve::ServerOptions{}.request_seconds,
           stop_seconds = serve::ServerOptions{}.stop_seconds;
    int64_t max_pixels = serve::ServiceOptions{}.max_pixels;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("serve", "a page and a JSON API to try a detector in the browser (GET /, POST /api/detect)");
  cmd->add_option("--checkpoint", o->checkpoint, "a detector: a run folder or its checkpoint file")->required();
  cmd->add_option("--host", o->host, "the address to listen on (another than 127.0.0.1 lets other machines in)");
  cmd->add_option("--port", o->port, "the port (0: any free one)")->check(CLI::Range(0, 65535));
  cmd->add_option("--workers", o->workers, "requests decoded and detected at once, and uploads held at once (inference itself is one at a time)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--request-seconds", o->request_seconds, "a request must arrive whole within this (408 after)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--stop-seconds", o->stop_seconds, "on Ctrl-C or SIGTERM, requests in flight are answered within this")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-upload-mb", o->max_upload_mb, "larger uploads are refused (413)")->check(CLI::PositiveNumber);
  cmd->add_option("--max-pixels", o->max_pixels, "images declaring more pixels are refused before decoding (422)")
      ->check(CLI::PositiveNumber);
  add_device_options(cmd, o->device, o->threads);
  cmd->callback([o] {
    if (o->threads > 0) set_cpu_threads(o->threads);
    check(std::filesystem::exists(checkpoint_path(o->checkpoint)), "serve: no checkpoint at ", checkpoint_path(o->checkpoint));
    serve::DetectorService service({o->checkpoint, o->device, o->max_pixels});
    serve::HttpServer server(service, {o->workers, static_cast<int64_t>(o->max_upload_mb * (1 << 20)), o->request_seconds, o->stop_seconds});
    const int port = server.bind(o->host, o->port);
    std::cout << "serving " << o->checkpoint << " at http://" << o->host << ":" << port << "/ (the API: POST /api/detect); "
              << "Ctrl-C stops it\n";
    if (o->host != "127.0.0.1" && o->host != "localhost" && o->host != "::1")
      std::cout << "warning: listening on " << o->host << ": every machine that can reach this one can use the detector\n";
    std::cout.flush();
    // Ctrl-C or SIGTERM only raise a flag (core/interrupt.h); this thread turns it into a clean stop,
    // which lets the requests in flight finish.
    install_interrupt_handler();
    std::atomic<bool> done{false};
    std::thread watcher([&] {
      while (!done && !interrupted()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      server.stop();
    });
    std::thread announcer([&] {  // joined below: it reads the service, which must outlive it
      if (service.wait_ready()) std::cout << "model ready (" << service.model_info()["backbone"].get<std::string>() << ")\n" << std::flush;
      else std::cerr << "rcnn: error: serve: " << service.failure() << " (every request answers 503)\n";
    });
    server.run();
    done = true;
    watcher.join();
    announcer.join();
    std::cout << "stopped\n";
  });
}

}  // namespace

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
