#pragma once
// `rcnn serve`'s API on HTTP messages (Boost.Beast's types), apart from the connections that carry
// them (serve/http_server.cpp):
//   GET  /                           the page (serve/page.cpp)
//   POST /api/detect                 multipart field `image` or a raw image body; `threshold`, `max` as
//                                    form fields or query parameters -> {"objects": [{"bbox", "label",
//                                    "score"}], "width", "height", "time_ms"}, best first
//   POST /api/fasterrcnn/predict/    Luminoth's endpoint and answer ({"objects": [{"bbox", "label",
//                                    "prob"}]}; its `total` is our `max`)
//   GET  /api/model                  classes, backbone, checkpoint, device, iteration
//   GET  /healthz                    200 once the model is ready, 503 before
//   GET  /favicon.ico                204: there is none
//   OPTIONS on any of them           204 with Allow
// Every error is JSON {"error": "..."} with its status: 400 missing or undecodable image or a bad
// parameter, 415 not an image, 422 more pixels than the limit (from the decoder's header parse, before
// decoding), 405 wrong method, 404 unknown path, 503 while loading, 500 anything unexpected.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

#include "serve/detector_service.h"

namespace rcnn::serve {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// The answer to a request; never throws. The request's body may be consumed.
HttpResponse route(DetectorService& service, HttpRequest& request);

// {"error": message} with its status (and Allow or Retry-After where the status calls for one).
HttpResponse error_response(int status, const std::string& message, unsigned http_version = 11);

}  // namespace rcnn::serve
