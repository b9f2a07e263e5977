#pragma once
// What `rcnn serve` does for a request, without HTTP: a detector loaded once (in the background, so the
// server can answer "loading" meanwhile), uploads checked before they are decoded, and one inference at
// a time. Why one at a time: a FasterRcnn holds per-call state (the autograd engine's no-grad flag is
// per thread, but the model's host cache, oneDNN primitives and the loader-free preprocessing share its
// buffers), and on a CPU a second concurrent inference only halves each one's threads; requests queue
// for the model instead (HTTP parsing and decoding still run in parallel on the server's pool).
#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "core/error.h"
#include "detection/predictor.h"

namespace rcnn::serve {

// A request the service refuses, with the HTTP status that says why.
struct RequestError : Error {
  int status;
  RequestError(int status, const std::string& message) : Error(message), status(status) {}
};

struct ServiceOptions {
  std::string checkpoint;
  std::string device = "cpu";
  int64_t max_pixels = 40'000'000;  // an upload's declared width x height above this: 422
};

struct DetectAnswer {
  std::vector<PredictedObject> objects;  // best first
  int width = 0, height = 0;
  double milliseconds = 0;  // the model's time (decoding apart)
};

class DetectorService {
 public:
  explicit DetectorService(ServiceOptions options);  // starts loading the checkpoint
  ~DetectorService();
  bool ready() const { return ready_; }
  // The loading error, if loading failed (the server then answers 503 with it).
  std::string failure() const;
  // Blocks until the model is loaded or failed; true when loaded. Safe from several threads at once.
  bool wait_ready();

  // classes, backbone, config, device, training iteration. Throws RequestError 503 while loading.
  nlohmann::json model_info() const;
  // threshold: the lowest score kept (default: the model's test threshold); at most `max` objects.
  DetectAnswer detect(const std::string& encoded, std::optional<double> threshold, std::optional<int64_t> max);

 private:
  void require_ready() const;

  ServiceOptions options_;
  LoadedDetector detector_;
  std::atomic<bool> ready_{false}, failed_{false};
  std::string failure_;
  std::thread loading_;
  std::mutex joining_;  // one thread joins loading_, the others wait for it here
  std::mutex model_;
};

}  // namespace rcnn::serve
