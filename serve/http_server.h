#pragma once
// `rcnn serve`'s connections, on Boost.Beast and Asio (Debian's libboost-dev): what a hostile or slow
// client cannot take from the others. The API itself is serve/routes.h.
// - One thread reads and writes every connection without blocking, so a client that drips its
//   request a byte at a time holds a connection, never a thread; `threads` workers decode and detect.
// - A request has a whole-request deadline (`request_seconds`, header and body together), not a
//   per-read timeout: past it the client gets 408 and the connection closes.
// - The header fields may take 16 KiB (431 beyond), the body `max_upload_bytes` in any encoding
//   (chunked too: 413 as soon as it is over, before more is held). At most `threads` uploads are held
//   at once (a later one waits for its turn within its deadline), and `max_connections` are open.
//   Memory so stays under threads x (3 x max_upload_bytes + 3 x max_pixels) + the model: the body, its
//   form parsed and the image bytes, then the decoded pixels.
// - stop() (SIGTERM, Ctrl-C) closes the door: a request that has arrived is answered (one whose turn
//   comes after the stop deadline with 503), one still arriving gets 503, and run() returns within
//   `stop_seconds` (plus an inference under way) whatever the clients do.
#include <memory>
#include <string>

#include "serve/detector_service.h"

namespace rcnn::serve {

struct ServerOptions {
  int threads = 4;                      // requests decoded and detected at once (inference: one at a time)
  int64_t max_upload_bytes = 20 << 20;  // the image (a multipart form may add 64 KiB of its own)
  double request_seconds = 30;          // for a request to arrive whole
  double stop_seconds = 10;             // for the requests in flight to be answered after stop()
  int max_connections = 512;
};

class HttpServer {
 public:
  HttpServer(DetectorService& service, ServerOptions options);
  ~HttpServer();
  // Binds to host:port (port 0: any free port) and returns the port; throws when it cannot.
  int bind(const std::string& host, int port);
  void run();   // serves until stop(); returns when the requests in flight are answered (stop_seconds at most)
  void stop();  // from any thread, also before run()

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The page: HTML, CSS and JavaScript of our own in one string, no network needed (serve/page.cpp).
const std::string& page_html();

}  // namespace rcnn::serve
