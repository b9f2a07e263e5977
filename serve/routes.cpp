#include "serve/routes.h"

#include <boost/beast/http/field.hpp>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "serve/form.h"
#include "serve/http_server.h"

namespace rcnn::serve {

namespace http = boost::beast::http;
using json = nlohmann::json;

namespace {

HttpResponse json_response(int status, const json& body, unsigned version) {
  HttpResponse res{static_cast<http::status>(status), version};
  res.set(http::field::content_type, "application/json");
  res.body() = body.dump();
  return res;
}

// The paths and the one method each takes.
const std::vector<std::pair<std::string, http::verb>>& known_paths() {
  static const std::vector<std::pair<std::string, http::verb>> paths = {
      {"/", http::verb::get},           {"/favicon.ico", http::verb::get},         {"/healthz", http::verb::get},
      {"/api/model", http::verb::get}, {"/api/detect", http::verb::post}, {"/api/fasterrcnn/predict/", http::verb::post}};
  return paths;
}

bool starts_with_nocase(const std::string& text, const char* prefix) {
  for (size_t i = 0; prefix[i]; ++i)
    if (i >= text.size() || std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  return true;
}

// A threshold: a number from 0 to 1.
std::optional<double> threshold_of(const Fields& fields) {
  const auto it = fields.find("threshold");
  if (it == fields.end() || it->second.empty()) return std::nullopt;
  const std::string& text = it->second;
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
    throw RequestError(400, "threshold is '" + text.substr(0, 40) + "', not a number");
  return value;
}

// A count of objects: a whole number from 0 to 100 000 (never a cast of an out-of-range double).
std::optional<int64_t> count_of(const Fields& fields, const char* name) {
  const auto it = fields.find(name);
  if (it == fields.end() || it->second.empty()) return std::nullopt;
  const std::string& text = it->second;
  int64_t value = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0 || value > 100000)
    throw RequestError(400, concat_message(name, " is '", text.substr(0, 40), "', not a whole number from 0 to 100000"));
  return value;
}

json objects_json(const DetectAnswer& a, const char* score_key) {
  json objects = json::array();
  for (const PredictedObject& o : a.objects)
    objects.push_back({{"bbox", {o.box.x1, o.box.y1, o.box.x2, o.box.y2}}, {"label", o.label}, {score_key, o.score}});
  return objects;
}

// POST /api/detect and Luminoth's endpoint: the image, from a form or the body, and the parameters.
HttpResponse detect(DetectorService& service, HttpRequest& req, Fields fields, bool luminoth) {
  const std::string type(req[http::field::content_type]);
  std::string image;
  if (starts_with_nocase(type, "multipart/form-data")) {
    Fields form = parse_multipart(type, req.body());
    req.body().clear();
    req.body().shrink_to_fit();
    const auto it = form.find("image");
    if (it == form.end()) throw RequestError(400, "no image: the form has no field named 'image'");
    image = std::move(it->second);
    form.erase(it);
    for (auto& [name, value] : form) fields[name] = std::move(value);  // a form field before a query parameter
  } else if (starts_with_nocase(type, "application/x-www-form-urlencoded")) {
    throw RequestError(415, "a url-encoded form cannot carry an image: send it as the multipart field 'image', or as the "
                            "request body with its type (Content-Type: image/jpeg)");
  } else {
    image = std::move(req.body());
  }
  std::optional<int64_t> max = count_of(fields, "max");
  if (luminoth && !max) max = count_of(fields, "total");
  const DetectAnswer a = service.detect(image, threshold_of(fields), max);
  if (luminoth) return json_response(200, {{"objects", objects_json(a, "prob")}}, req.version());
  return json_response(200, {{"objects", objects_json(a, "score")}, {"width", a.width}, {"height", a.height}, {"time_ms", a.milliseconds}},
                       req.version());
}

HttpResponse dispatch(DetectorService& service, HttpRequest& req) {
  const std::string target(req.target());
  const size_t question = target.find('?');
  const std::string path = target.substr(0, question);
  const auto known = std::find_if(known_paths().begin(), known_paths().end(), [&](const auto& p) { return p.first == path; });
  if (known == known_paths().end())
    throw RequestError(404, "no such path: " + path.substr(0, 200) + " (GET / for the page, POST /api/detect)");
  const std::string allowed = std::string(http::to_string(known->second)) + ", OPTIONS";
  if (req.method() == http::verb::options) {
    HttpResponse res{http::status::no_content, req.version()};
    res.set(http::field::allow, allowed);
    return res;
  }
  if (req.method() != known->second) {
    HttpResponse res = error_response(405, std::string(req.method_string()) + " " + path + ": this path takes " +
                                               std::string(http::to_string(known->second)), req.version());
    res.set(http::field::allow, allowed);
    return res;
  }
  if (path == "/") {
    HttpResponse res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/html; charset=utf-8");
    res.body() = page_html();
    return res;
  }
  if (path == "/favicon.ico") return HttpResponse{http::status::no_content, req.version()};
  if (path == "/healthz") {
    service.model_info();  // 503 while loading
    return json_response(200, {{"status", "ready"}}, req.version());
  }
  if (path == "/api/model") return json_response(200, service.model_info(), req.version());
  const Fields query = parse_query(question == std::string::npos ? "" : std::string_view(target).substr(question + 1));
  return detect(service, req, query, path == "/api/fasterrcnn/predict/");
}

}  // namespace

HttpResponse error_response(int status, const std::string& message, unsigned http_version) {
  HttpResponse res = json_response(status, {{"error", message}}, http_version);
  if (status == 503) res.set(http::field::retry_after, "2");
  return res;
}

HttpResponse route(DetectorService& service, HttpRequest& req) {
  try {
    return dispatch(service, req);
  } catch (const RequestError& e) {
    return error_response(e.status, e.what(), req.version());
  } catch (const std::exception& e) {
    return error_response(500, std::string("internal error: ") + e.what(), req.version());
  }
}

}  // namespace rcnn::serve
