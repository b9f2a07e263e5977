#pragma once
// What the `rcnn serve` tests share: a small trained detector, an in-process server on a free loopback
// port, and the JSON error of an answer (tests/test_serve.cpp, tests/test_serve_limits.cpp).
#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "datasets/generated.h"
#include "detection/config.h"
#include "detection/trainer.h"
#include "serve/http_server.h"
#include "tests/files.h"

namespace rcnn::testing {

// A small detector trained for a few steps on generated shapes: its answers are what they are, the
// tests compare the server with `rcnn predict` on it.
struct Fixture {
  TempDir dir{"serve"};
  std::string run = dir / "run";
  Fixture() {
    generate_shapes({dir / "shapes", 6, 3, 96});
    TrainOptions o;
    o.config = load_config("configs/shapes_tiny.yaml", {"input.shorter_side=96", "input.longer_side=96", "train.iterations=4",
                                                         "train.log_every=2", "rcnn.hidden=32", "rpn.channels=16"});
    o.data_dir = dir / "shapes";
    o.out_dir = run;
    o.progress = false;
    train_detector(o);
  }
};

// A server on a free loopback port for the length of a test case.
struct Running {
  serve::DetectorService service;
  serve::HttpServer server;
  int port;
  std::thread thread;
  explicit Running(const std::string& checkpoint, int64_t max_upload_bytes = 20 << 20)
      : Running(checkpoint, serve::ServerOptions{2, max_upload_bytes}) {}
  Running(const std::string& checkpoint, const serve::ServerOptions& options)
      : service({checkpoint, "cpu", 40'000'000}), server(service, options), port(server.bind("127.0.0.1", 0)),
        thread([this] { server.run(); }) {
    service.wait_ready();
  }
  ~Running() { stop(); }
  // Stops the server as SIGTERM does and waits for run() to return; the seconds that took.
  double stop() {
    if (!thread.joinable()) return 0;
    const auto start = std::chrono::steady_clock::now();
    server.stop();
    thread.join();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(60, 0);
    return c;
  }
};

inline httplib::Result post_image(httplib::Client& c, const std::string& path, const std::string& bytes, const std::string& field = "image",
                           const std::string& threshold = "") {
  httplib::MultipartFormDataItems items = {{field, bytes, "upload.jpg", "image/jpeg"}};
  if (!threshold.empty()) items.push_back({"threshold", threshold, "", ""});
  return c.Post(path.c_str(), items);
}

// The status and the JSON error of an answer.
inline std::pair<int, std::string> error_of(const httplib::Result& r) {
  REQUIRE(r);
  const nlohmann::json body = nlohmann::json::parse(r->body);
  return {r->status, body.value("error", std::string("(no error)"))};
}

}  // namespace rcnn::testing
