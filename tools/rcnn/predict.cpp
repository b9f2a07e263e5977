// rcnn predict: detections drawn on images, and one JSON file of boxes per image.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/threads.h"
#include "datasets/draw.h"
#include "datasets/image.h"
#include "detection/predictor.h"
#include "tools/rcnn/commands.h"

namespace rcnn::cli {

namespace {

bool is_image_file(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

}  // namespace

void add_predict_command(CLI::App& app, int& exit_code) {
  struct Options {
    std::string checkpoint, out, device = "cpu", format = "png";
    std::vector<std::string> inputs, overrides;
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
  cmd->add_option("--set", o->overrides, "change a test setting of the checkpoint's config first: test.max_per_image=10");
  add_device_options(cmd, o->device, o->threads);
  cmd->callback([o, &exit_code] {
    if (o->threads > 0) set_cpu_threads(o->threads);
    LoadedDetector d = load_detector(o->checkpoint, parse_device(o->device), o->overrides);
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

}  // namespace rcnn::cli
