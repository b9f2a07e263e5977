// rcnn serve: a page and a JSON API to try a detector in the browser (serve/).
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "core/error.h"
#include "core/interrupt.h"
#include "core/threads.h"
#include "detection/detector_checkpoint.h"
#include "serve/http_server.h"
#include "tools/rcnn/commands.h"

namespace rcnn::cli {

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

}  // namespace rcnn::cli
