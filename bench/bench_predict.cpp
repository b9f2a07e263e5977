// make bench (bench/onnx_speed.py): a trained detector's inference on one image, as `rcnn predict`
// runs it (predict_objects: resize, normalise, detect), timed after a warm-up run; and the image, resized
// to the export's size, written as raw RGB for onnxruntime to run the exported model on.
//   bench_predict --checkpoint RUN --image FILE --height H --width W [--threads 2] [--repeat 20] [--rgb-out FILE]
// Prints one JSON line: {"median_ms": ..., "detections": ...}.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/threads.h"
#include "core/timing.h"
#include "datasets/transforms.h"
#include "detection/predictor.h"

using namespace rcnn;

int main(int argc, char** argv) {
  CLI::App app{"a trained detector's inference time on one image"};
  std::string checkpoint, image_path, rgb_out;
  int height = 0, width = 0, threads = 2, repeat = 20;
  app.add_option("--checkpoint", checkpoint)->required();
  app.add_option("--image", image_path)->required();
  app.add_option("--height", height)->required();
  app.add_option("--width", width)->required();
  app.add_option("--threads", threads);
  app.add_option("--repeat", repeat)->check(CLI::PositiveNumber);
  app.add_option("--rgb-out", rgb_out, "the resized image as raw RGB bytes (height x width x 3)");
  CLI11_PARSE(app, argc, argv);
  try {
    set_cpu_threads(threads);
    LoadedDetector d = load_detector(checkpoint);
    const Image image = resize_bilinear(load_image(image_path), width, height);
    if (!rgb_out.empty()) std::ofstream(rgb_out, std::ios::binary).write(reinterpret_cast<const char*>(image.rgb.data()), image.rgb.size());
    size_t detections = 0;
    const double ms = median_ms([&] { detections = predict_objects(d, image, 0).size(); }, repeat, /*warmup=*/1);
    std::cout << nlohmann::json{{"median_ms", ms}, {"detections", detections}}.dump() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "bench_predict: " << e.what() << "\n";
    return 1;
  }
}
