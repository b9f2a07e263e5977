#include "serve/http_server.h"

#include <httplib.h>

#include <iostream>

namespace rcnn::serve {

namespace {

using json = nlohmann::json;

void answer(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void answer_error(httplib::Response& res, int status, const std::string& message) { answer(res, status, {{"error", message}}); }

// A form field or query parameter, as text; empty when absent.
std::string field(const httplib::Request& req, const char* name) {
  if (req.has_file(name)) return req.get_file_value(name).content;
  if (req.has_param(name)) return req.get_param_value(name);
  return "";
}

template <class T>
std::optional<T> number(const httplib::Request& req, const char* name) {
  const std::string text = field(req, name);
  if (text.empty()) return std::nullopt;
  try {
    size_t used = 0;
    const double value = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(value)) throw std::invalid_argument(text);
    return static_cast<T>(value);
  } catch (const std::exception&) {
    throw RequestError(400, concat_message(name, " is '", text.substr(0, 40), "', not a number"));
  }
}

// The image of a request: the multipart field `image`, or else the whole body when it is not a form.
std::string upload(const httplib::Request& req) {
  if (req.is_multipart_form_data()) {
    if (!req.has_file("image")) throw RequestError(400, "no image: the form has no field named 'image'");
    return req.get_file_value("image").content;
  }
  return req.body;
}

json objects_json(const DetectAnswer& a, const char* score_key) {
  json objects = json::array();
  for (const PredictedObject& o : a.objects)
    objects.push_back({{"bbox", {o.box.x1, o.box.y1, o.box.x2, o.box.y2}}, {"label", o.label}, {score_key, o.score}});
  return objects;
}

}  // namespace

HttpServer::HttpServer(DetectorService& service, ServerOptions options)
    : service_(service), server_(std::make_unique<httplib::Server>()) {
  httplib::Server& s = *server_;
  const int threads = std::max(1, options.threads);
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s.set_payload_max_length(static_cast<size_t>(options.max_upload_bytes));
  const int64_t limit_mb = options.max_upload_bytes >> 20;

  // Runs a route, turning what it throws into a JSON error: no request ends the server.
  auto guarded = [](std::function<void(const httplib::Request&, httplib::Response&)> route) {
    return [route](const httplib::Request& req, httplib::Response& res) {
      try {
        route(req, res);
      } catch (const RequestError& e) {
        answer_error(res, e.status, e.what());
      } catch (const std::exception& e) {
        answer_error(res, 500, std::string("internal error: ") + e.what());
      }
    };
  };
  s.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content(page_html(), "text/html; charset=utf-8"); });
  s.Get("/healthz", guarded([this](const httplib::Request&, httplib::Response& res) {
          service_.model_info();  // 503 while loading
          answer(res, 200, {{"status", "ready"}});
        }));
  s.Get("/api/model", guarded([this](const httplib::Request&, httplib::Response& res) { answer(res, 200, service_.model_info()); }));
  s.Post("/api/detect", guarded([this](const httplib::Request& req, httplib::Response& res) {
           const DetectAnswer a = service_.detect(upload(req), number<double>(req, "threshold"), number<int64_t>(req, "max"));
           answer(res, 200, {{"objects", objects_json(a, "score")}, {"width", a.width}, {"height", a.height}, {"time_ms", a.milliseconds}});
         }));
  s.Post("/api/fasterrcnn/predict/", guarded([this](const httplib::Request& req, httplib::Response& res) {
           const DetectAnswer a = service_.detect(upload(req), number<double>(req, "threshold"), number<int64_t>(req, "max"));
           answer(res, 200, {{"objects", objects_json(a, "prob")}});
         }));
  // The known paths with another method: 405, saying which one they take.
  for (const auto& [path, allowed] : std::vector<std::pair<std::string, std::string>>{
           {"/", "GET"}, {"/healthz", "GET"}, {"/api/model", "GET"}, {"/api/detect", "POST"}, {"/api/fasterrcnn/predict/", "POST"}}) {
    auto wrong = [path = path, allowed = allowed](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Allow", allowed);
      answer_error(res, 405, req.method + " " + path + ": this path takes " + allowed);
    };
    if (allowed == "GET") s.Post(path, wrong);
    if (allowed == "POST") s.Get(path, wrong);
    s.Put(path, wrong);
    s.Delete(path, wrong);
    s.Patch(path, wrong);
  }
  // What httplib answers itself (an unknown path, an upload over the limit, a malformed request) gets a
  // JSON body too; answers that already have one keep it.
  s.set_error_handler(httplib::Server::HandlerWithResponse([limit_mb](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    if (res.status == 404) answer_error(res, 404, "no such path: " + req.path + " (GET / for the page, POST /api/detect)");
    else if (res.status == 413 && req.get_header_value("Content-Type") == "application/x-www-form-urlencoded")
      answer_error(res, 413, "a url-encoded form may hold 8 KiB: send the image as the multipart field 'image', or as the "
                             "request body with its type (Content-Type: image/jpeg)");
    else if (res.status == 413) answer_error(res, 413, concat_message("the upload is over the limit of ", limit_mb, " MiB (--max-upload-mb)"));
    else if (res.status == 400) answer_error(res, 400, "a malformed request (a POST needs a Content-Length and a body)");
    else answer_error(res, res.status, concat_message("the request was refused (HTTP ", res.status, ")"));
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    answer_error(res, 500, "internal error");
  });
}

HttpServer::~HttpServer() = default;

int HttpServer::bind(const std::string& host, int port) {
  const int bound = port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  check(bound > 0, "serve: cannot listen on ", host, ":", port, " (in use, or not an address of this machine?)");
  return bound;
}

void HttpServer::run() { server_->listen_after_bind(); }

void HttpServer::stop() { server_->stop(); }

}  // namespace rcnn::serve
