#pragma once
// `rcnn serve`'s HTTP side, on Debian's cpp-httplib: the page (GET /), the JSON API and its errors.
//   POST /api/detect                 multipart field `image` or a raw image body; `threshold`, `max`
//                                    as form fields or query parameters -> {"objects": [{"bbox", "label",
//                                    "score"}], "width", "height", "time_ms"}, best first
//   POST /api/fasterrcnn/predict/    Luminoth's endpoint and answer ({"objects": [{"bbox", "label", "prob"}]})
//   GET  /api/model                  classes, backbone, checkpoint, device, iteration
//   GET  /healthz                    200 once the model is ready, 503 before
// Every error is JSON {"error": "..."} with its status: 400 missing or undecodable image, 413 over the
// upload limit, 415 not an image, 422 more pixels than the limit (from the header, before decoding),
// 405 wrong method, 404 unknown path, 503 while loading, 500 anything unexpected. No request ends the
// server.
#include <memory>
#include <string>

#include "serve/detector_service.h"

namespace httplib {
class Server;
}

namespace rcnn::serve {

struct ServerOptions {
  int threads = 4;                   // requests served at once (inference itself is one at a time)
  int64_t max_upload_bytes = 20 << 20;
};

class HttpServer {
 public:
  HttpServer(DetectorService& service, ServerOptions options);
  ~HttpServer();
  // Binds to host:port (port 0: any free port) and returns the port; throws when it cannot.
  int bind(const std::string& host, int port);
  void run();   // serves until stop(); returns after the requests in flight have been answered
  void stop();  // from any thread

 private:
  DetectorService& service_;
  std::unique_ptr<httplib::Server> server_;
};

// The page: HTML, CSS and JavaScript of our own in one string, no network needed (serve/page.cpp).
const std::string& page_html();

}  // namespace rcnn::serve
