#pragma once
// Reading values out of a parsed JSON file (nlohmann-json) with messages that name the file and the
// JSON path of the value: `read_coco: instances_val.json: annotations[12].bbox: a box of negative size`.
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"
#include "datasets/annotation.h"

namespace rcnn {

struct JsonFields {
  const std::string& source;  // the file
  const char* reader;         // who reads it, first in every message

  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw Error(concat_message(reader, ": ", source, ": ", where, ": ", what));
  }
  static std::string shown(const nlohmann::json& value) {
    std::string text = value.dump();
    return text.size() > 40 ? text.substr(0, 37) + "..." : text;
  }
  const nlohmann::json& member(const nlohmann::json& object, const char* key, const std::string& where) const {
    if (!object.is_object()) fail(where, "is " + shown(object) + ", not an object");
    const auto it = object.find(key);
    if (it == object.end()) fail(where, concat_message("has no \"", key, "\""));
    return *it;
  }
  const nlohmann::json& array(const nlohmann::json& object, const char* key, const std::string& where) const {
    const nlohmann::json& value = member(object, key, where);
    if (!value.is_array()) fail(where + "." + key, "is " + shown(value) + ", not an array");
    return value;
  }
  int64_t integer(const nlohmann::json& object, const char* key, const std::string& where) const {
    const nlohmann::json& value = member(object, key, where);
    if (value.is_number_integer() && !(value.is_number_unsigned() && value.get<uint64_t>() > INT64_MAX))
      return value.get<int64_t>();
    fail(where + "." + key, "is " + shown(value) + ", not an integer");
  }
  double number(const nlohmann::json& value, const std::string& where) const {
    if (!value.is_number() || !std::isfinite(value.get<double>())) fail(where, "is " + shown(value) + ", not a number");
    return value.get<double>();
  }
  std::string text(const nlohmann::json& object, const char* key, const std::string& where) const {
    const nlohmann::json& value = member(object, key, where);
    if (!value.is_string() || value.get<std::string>().empty())
      fail(where + "." + key, "is " + shown(value) + ", not a non-empty string");
    return value.get<std::string>();
  }
  // The "bbox" of a COCO annotation or result: [x, y, width, height] of finite numbers.
  CocoBox coco_box(const nlohmann::json& object, const std::string& where) const {
    const nlohmann::json& bbox = member(object, "bbox", where);
    if (!bbox.is_array() || bbox.size() != 4) fail(where + ".bbox", "is " + shown(bbox) + ", not [x, y, width, height]");
    return {number(bbox[0], where + ".bbox[0]"), number(bbox[1], where + ".bbox[1]"), number(bbox[2], where + ".bbox[2]"),
            number(bbox[3], where + ".bbox[3]")};
  }
  // 0/1 or false/true; absent is false.
  bool flag(const nlohmann::json& object, const char* key, const std::string& where) const {
    const auto it = object.find(key);
    if (it == object.end()) return false;
    if (it->is_boolean()) return it->get<bool>();
    if (it->is_number_integer() && (it->get<int64_t>() == 0 || it->get<int64_t>() == 1)) return it->get<int64_t>() == 1;
    fail(where + "." + key, "is " + shown(*it) + ", not 0 or 1");
  }
};

// Parses a whole file's text; what is not JSON is an Error saying where: `malformed JSON (at line 3,
// column 17: syntax error while parsing array - unexpected end of input; expected ']')`. Numbers past
// a double's range (1e400) are errors too (nlohmann-json's out_of_range, not a parse_error).
inline nlohmann::json parse_json(const std::string& text, const std::string& source, const char* reader) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    const std::string what = e.what();  // "[json.exception.parse_error.101] parse error at line 1, ..."
    const size_t tag = what.find("] "), at = what.find("parse error ");
    const std::string why = at != std::string::npos ? what.substr(at + 12) : tag != std::string::npos ? what.substr(tag + 2) : what;
    throw Error(concat_message(reader, ": ", source, ": malformed JSON (", why, ")"));
  }
}

// The element `index` of a list, as a JSON path: annotations[12].
inline std::string json_at(const char* list, size_t index) { return concat_message(list, "[", index, "]"); }

}  // namespace rcnn
