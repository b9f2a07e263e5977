#include "datasets/voc.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <pugixml.hpp>
#include <sstream>

#include "core/error.h"
#include "datasets/text.h"

namespace rcnn {

namespace fs = std::filesystem;

const std::vector<std::string>& voc_classes() {
  static const std::vector<std::string> classes = {
      "aeroplane", "bicycle", "bird",  "boat",      "bottle", "bus",         "car",   "cat",   "chair", "cow",
      "diningtable", "dog",   "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor"};
  return classes;
}

namespace {

// The text of a required child element, e.g. <width>500</width>, as a number.
double required_number(const pugi::xml_node& parent, const char* name, const std::string& source, const char* where) {
  pugi::xml_node node = parent.child(name);
  check(node, "read_voc: ", source, ": ", where, " has no <", name, ">");
  const std::string text = node.text().as_string();
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  check(!text.empty() && end != text.c_str() && std::isfinite(value) && *end == '\0', "read_voc: ", source, ": <",
        name, "> in ", where, " is '", text, "', not a number");
  return value;
}

// Optional flags such as <difficult>1</difficult>: missing means 0; 0/1 and false/true are read,
// anything else is an error (pugixml's as_int would read "true" as 0 without a word).
bool optional_flag(const pugi::xml_node& parent, const char* name, const std::string& source, const std::string& where) {
  pugi::xml_node node = parent.child(name);
  if (!node) return false;
  const std::string text = trim(node.text().as_string());
  if (text == "0" || text == "false") return false;
  if (text == "1" || text == "true") return true;
  throw Error(concat_message("read_voc: ", source, ": <", name, "> in ", where, " is '", visible(text),
                             "', expected 0, 1, false or true"));
}

std::string format_coordinate(double v) {
  std::ostringstream os;
  if (v == std::round(v))
    os << static_cast<long long>(v);
  else
    os << v;
  return os.str();
}

}  // namespace

Annotation parse_voc_annotation(const std::string& xml, const std::string& source,
                                const std::vector<std::string>& classes, std::vector<std::string>& warnings,
                                bool clip_boxes) {
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
  check(static_cast<bool>(parsed), "read_voc: ", source, ": malformed XML (", parsed.description(), " at byte ",
        parsed.offset, ")");
  pugi::xml_node root = doc.child("annotation");
  check(root, "read_voc: ", source, ": no <annotation> element");
  pugi::xml_node size = root.child("size");
  check(size, "read_voc: ", source, ": no <size> element");
  Annotation a;
  const double width = required_number(size, "width", source, "<size>");
  const double height = required_number(size, "height", source, "<size>");
  check(width >= 1 && height >= 1 && width <= 1e5 && height <= 1e5, "read_voc: ", source, ": image size ", width, "x",
        height, " is not a valid size");
  a.width = static_cast<int>(width);
  a.height = static_cast<int>(height);

  int index = 0;
  for (pugi::xml_node node : root.children("object")) {
    const std::string where = "object " + std::to_string(index++);
    pugi::xml_node name = node.child("name");
    check(name && !std::string(name.text().as_string()).empty(), "read_voc: ", source, ": ", where, " has no <name>");
    Object object;
    object.name = trim(name.text().as_string());
    pugi::xml_node bndbox = node.child("bndbox");
    check(bndbox, "read_voc: ", source, ": ", where, " ('", object.name, "') has no <bndbox>");
    const std::string box_where = where + " <bndbox>";
    const Box raw = from_voc_pixels({required_number(bndbox, "xmin", source, box_where.c_str()),
                                     required_number(bndbox, "ymin", source, box_where.c_str()),
                                     required_number(bndbox, "xmax", source, box_where.c_str()),
                                     required_number(bndbox, "ymax", source, box_where.c_str())});
    object.difficult = optional_flag(node, "difficult", source, where);
    object.truncated = optional_flag(node, "truncated", source, where);
    auto found = std::find(classes.begin(), classes.end(), object.name);
    if (found == classes.end()) {
      warnings.push_back(source + ": " + where + ": unknown class '" + visible(object.name) + "', skipped");
      continue;
    }
    object.label = found - classes.begin();
    if (!clip_boxes) {  // as annotated, for evaluation
      object.box = raw;
      a.objects.push_back(object);
      continue;
    }
    object.box = raw;
    if (clip_to_image(object.box, a.width, a.height, source + ": " + where, warnings)) a.objects.push_back(object);
  }
  return a;
}

Dataset read_voc(const std::string& dir, const std::string& split, const VocReadOptions& options) {
  const fs::path root(dir);
  const fs::path list = root / "ImageSets" / "Main" / (split + ".txt");
  std::ifstream ids(list);
  check(ids.good(), "read_voc: cannot open ", list.string(), " (is ", dir,
        " a VOC folder with Annotations/, JPEGImages/ and ImageSets/Main/?)");
  Dataset data;
  data.name = root.filename().string() + " " + split;
  data.classes = options.classes;
  std::vector<std::string> warnings;
  for (std::string line; std::getline(ids, line);) {
    const std::string id = trim(line);
    if (id.empty()) continue;
    const fs::path xml_path = root / "Annotations" / (id + ".xml");
    std::ifstream in(xml_path, std::ios::binary);
    check(in.good(), "read_voc: cannot open ", visible(xml_path.string()), " (listed in ", list.string(), ")");
    std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Annotation a = parse_voc_annotation(xml, xml_path.string(), options.classes, warnings, options.clip_boxes);
    a.id = id;
    a.image_path = (root / "JPEGImages" / (id + ".jpg")).string();
    if (options.missing_image != OnMissingImage::Ignore && !fs::exists(a.image_path)) {
      check(options.missing_image == OnMissingImage::WarnAndSkip, "read_voc: image ", a.image_path, " is missing");
      warnings.push_back(a.image_path + ": image missing, skipped");
      continue;
    }
    data.items.push_back(std::move(a));
  }
  for (const std::string& w : warnings) std::cerr << "warning: " << w << "\n";
  check(!data.items.empty(), "read_voc: ", list.string(), " lists no usable images");
  return data;
}

void write_voc_annotation(const Annotation& a, const std::string& path) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("annotation");
  root.append_child("filename").text().set((a.id + ".jpg").c_str());
  pugi::xml_node size = root.append_child("size");
  size.append_child("width").text().set(a.width);
  size.append_child("height").text().set(a.height);
  size.append_child("depth").text().set(3);
  for (const Object& o : a.objects) {
    pugi::xml_node node = root.append_child("object");
    node.append_child("name").text().set(o.name.c_str());
    node.append_child("truncated").text().set(o.truncated ? 1 : 0);
    node.append_child("difficult").text().set(o.difficult ? 1 : 0);
    pugi::xml_node box = node.append_child("bndbox");
    const VocPixels p = to_voc_pixels(o.box);
    box.append_child("xmin").text().set(format_coordinate(p.xmin).c_str());
    box.append_child("ymin").text().set(format_coordinate(p.ymin).c_str());
    box.append_child("xmax").text().set(format_coordinate(p.xmax).c_str());
    box.append_child("ymax").text().set(format_coordinate(p.ymax).c_str());
  }
  check(doc.save_file(path.c_str()), "write_voc_annotation: cannot write ", path);
}

void write_voc_split(const std::string& dir, const std::string& split, const std::vector<std::string>& ids) {
  const fs::path folder = fs::path(dir) / "ImageSets" / "Main";
  fs::create_directories(folder);
  std::ofstream out(folder / (split + ".txt"));
  for (const std::string& id : ids) out << id << "\n";
  check(out.good(), "write_voc_split: cannot write ", (folder / (split + ".txt")).string());
}

}  // namespace rcnn
