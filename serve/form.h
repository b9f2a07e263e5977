#pragma once
// The fields a request carries besides its path: query parameters (`?threshold=0.5&max=3`) and an HTML
// form's fields (multipart/form-data, RFC 7578). Read with Debian's libraries, not by hand: uriparser
// splits and percent-decodes queries, GMime parses MIME multipart bodies.
#include <map>
#include <string>
#include <string_view>

namespace rcnn::serve {

using Fields = std::map<std::string, std::string>;  // a name given twice keeps its first value

// `a=1&b=two%20words` -> {a: 1, b: two words}. Throws RequestError 400 when it cannot be read.
Fields parse_query(std::string_view query);

// The fields of a multipart/form-data body: name -> content (a file's bytes as sent). `content_type`
// is the request's header, which names the boundary. Throws RequestError 400 when the body is no such
// form (no boundary, no parts).
Fields parse_multipart(const std::string& content_type, const std::string& body);

}  // namespace rcnn::serve
