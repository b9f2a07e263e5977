#include "serve/detector_service.h"

#include <chrono>

namespace rcnn::serve {

DetectorService::DetectorService(ServiceOptions options) : options_(std::move(options)) {
  loading_ = std::thread([this] {
    try {
      detector_ = load_detector(options_.checkpoint, options_.device == "cuda" ? Device::cuda() : kCPU);
      ready_ = true;
    } catch (const std::exception& e) {
      failure_ = e.what();  // before failed_ is set: readers check failed_ first
      failed_ = true;
    }
  });
}

DetectorService::~DetectorService() { wait_ready(); }

std::string DetectorService::failure() const {
  if (!failed_) return "";
  return failure_;  // written once, before failed_ is set
}

bool DetectorService::wait_ready() {
  std::lock_guard<std::mutex> lock(joining_);
  if (loading_.joinable()) loading_.join();
  return ready_;
}

void DetectorService::require_ready() const {
  if (failed_) throw RequestError(503, "the model could not be loaded: " + failure_);
  if (!ready_) throw RequestError(503, "the model is loading; try again in a few seconds");
}

nlohmann::json DetectorService::model_info() const {
  require_ready();
  const DetectorInfo& info = detector_.info;
  return {{"classes", info.classes},
          {"backbone", info.config.backbone.name},
          {"mode", info.config.mode},
          {"checkpoint", options_.checkpoint},
          {"device", options_.device},
          {"iteration", info.iteration},
          {"score_threshold", info.config.test.score_threshold}};
}

DetectAnswer DetectorService::detect(const std::string& encoded, std::optional<double> threshold, std::optional<int64_t> max) {
  require_ready();
  if (encoded.empty()) throw RequestError(400, "no image: send it as the multipart field 'image' or as the request body");
  const auto* bytes = reinterpret_cast<const uint8_t*>(encoded.data());
  if (!image_format(bytes, encoded.size()))
    throw RequestError(415, "not an image: the upload is no JPEG, PNG, BMP or GIF file");
  int64_t width = 0, height = 0;
  if (!declared_image_size(bytes, encoded.size(), width, height))
    throw RequestError(400, "the image cannot be decoded: its header is damaged, cut short, or declares more than the decoder "
                            "takes (2^30 bytes of pixels)");
  if (width * height > options_.max_pixels)
    throw RequestError(422, concat_message("the image declares ", width, " x ", height, " pixels, more than the ",
                                           options_.max_pixels, " this server decodes (--max-pixels)"));
  if (threshold && !(*threshold >= 0 && *threshold <= 1)) throw RequestError(400, "threshold must be between 0 and 1");
  if (max && *max < 0) throw RequestError(400, "max must not be negative");
  Image image;
  try {
    image = decode_image(bytes, encoded.size(), "the upload");
  } catch (const Error& e) {
    throw RequestError(400, std::string("the image cannot be decoded (damaged or cut short): ") + e.what());
  }
  DetectAnswer answer;
  answer.width = image.width;
  answer.height = image.height;
  {
    std::lock_guard<std::mutex> lock(model_);  // one inference at a time (detector_service.h says why)
    const auto start = std::chrono::steady_clock::now();
    answer.objects = predict_objects(detector_, std::move(image), threshold.value_or(detector_.info.config.test.score_threshold));
    answer.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }
  if (max && answer.objects.size() > static_cast<size_t>(*max)) answer.objects.resize(static_cast<size_t>(*max));
  return answer;
}

}  // namespace rcnn::serve
