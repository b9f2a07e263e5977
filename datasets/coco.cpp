#include "datasets/coco.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "datasets/json_fields.h"
#include "datasets/text.h"

namespace rcnn {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string coco_annotation_file(const std::string& dir, const std::string& split) {
  return (fs::path(dir) / "annotations" / ("instances_" + split + ".json")).string();
}

std::string coco_image_dir(const std::string& dir, const std::string& split) {
  const fs::path own = fs::path(dir) / split;
  return (fs::is_directory(own) ? own : fs::path(dir) / "images").string();
}

std::vector<std::string> coco_splits(const std::string& dir) {
  std::vector<std::string> splits;
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator(fs::path(dir) / "annotations", ignored)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("instances_", 0) == 0 && entry.path().extension() == ".json")
      splits.push_back(name.substr(10, name.size() - 10 - 5));
  }
  std::sort(splits.begin(), splits.end());
  return splits;
}

bool is_coco_folder(const std::string& dir) { return !coco_splits(dir).empty(); }

namespace {

// A number as COCO files hold them: x + w - x is not w in binary floating point, so a box known only by
// its corners (converted from VOC) is written rounded to 12 significant digits, which gives back the
// annotated numbers (pixel coordinates below 1e5 with up to 6 decimals) and so lossless round trips.
double rounded(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.12g", value);
  return std::strtod(text, nullptr);
}
CocoBox rounded(const CocoBox& b) { return {rounded(b.x), rounded(b.y), rounded(b.width), rounded(b.height)}; }

}  // namespace

Dataset parse_coco(const std::string& text, const std::string& source, const std::string& image_dir,
                   const CocoReadOptions& options, std::vector<std::string>& warnings) {
  const json root = parse_json(text, source, "read_coco");
  const JsonFields f{source, "read_coco"};
  if (!root.is_object()) f.fail("the top level", "is " + JsonFields::shown(root) + ", not an object");

  Dataset data;
  data.name = source;
  std::map<int64_t, std::string> categories;  // id -> name, in increasing id: the labels' order
  std::map<std::string, size_t> category_names;
  const json& category_list = f.array(root, "categories", "the top level");
  for (size_t i = 0; i < category_list.size(); ++i) {
    const std::string where = json_at("categories", i);
    const int64_t id = f.integer(category_list[i], "id", where);
    const std::string name = f.text(category_list[i], "name", where);
    if (categories.count(id)) f.fail(where + ".id", concat_message(id, " is also another category's"));
    if (category_names.count(name))
      f.fail(where + ".name", "'" + visible(name) + "' is also " + json_at("categories", category_names[name]) + "'s");
    categories[id] = name;
    category_names[name] = i;
  }
  if (categories.empty()) f.fail("categories", "is empty: a data set needs at least one class");
  std::map<int64_t, int64_t> label_of;
  for (const auto& [id, name] : categories) {
    label_of[id] = static_cast<int64_t>(data.classes.size());
    data.classes.push_back(name);
    data.category_ids.push_back(id);
  }

  std::map<int64_t, size_t> item_of;  // image id (the file's, whatever its sign) -> index into data.items
  const json& image_list = f.array(root, "images", "the top level");
  std::map<std::string, int> stem_count;  // file names without extension: a.jpg and a.png share one
  for (size_t i = 0; i < image_list.size(); ++i)
    if (image_list[i].is_object() && image_list[i].contains("file_name") && image_list[i]["file_name"].is_string())
      ++stem_count[fs::path(image_list[i]["file_name"].get<std::string>()).stem().string()];
  std::map<std::string, size_t> item_named;  // Annotation::id -> index into images
  for (size_t i = 0; i < image_list.size(); ++i) {
    const std::string where = json_at("images", i);
    Annotation a;
    const int64_t id = f.integer(image_list[i], "id", where);
    const std::string file = f.text(image_list[i], "file_name", where);
    const int64_t width = f.integer(image_list[i], "width", where), height = f.integer(image_list[i], "height", where);
    if (width < 1 || height < 1 || width > 100000 || height > 100000)
      f.fail(where, concat_message("image size ", width, "x", height, " is not between 1 and 100000"));
    if (item_of.count(id)) f.fail(where + ".id", concat_message(id, " is also another image's"));
    // The name an image's outputs are written under (drawn predictions, VOC files): the file's name
    // without extension, or with it where another file has the same stem (a.jpg and a.png).
    const std::string stem = fs::path(file).stem().string();
    a.id = stem_count[stem] > 1 ? fs::path(file).filename().string() : stem;
    if (item_named.count(a.id))
      f.fail(where + ".file_name", "'" + visible(file) + "' is also " + json_at("images", item_named[a.id]) + "'s file name");
    a.coco_id = id;
    a.width = static_cast<int>(width);
    a.height = static_cast<int>(height);
    a.image_path = (fs::path(image_dir) / file).string();
    item_of[id] = data.items.size();
    item_named[a.id] = i;
    data.items.push_back(std::move(a));
  }

  std::map<int64_t, size_t> annotation_ids;
  const json& annotation_list = f.array(root, "annotations", "the top level");
  for (size_t i = 0; i < annotation_list.size(); ++i) {
    const std::string where = json_at("annotations", i);
    const json& node = annotation_list[i];
    const int64_t id = f.integer(node, "id", where);
    if (annotation_ids.count(id))
      f.fail(where + ".id", concat_message(id, " is also ", json_at("annotations", annotation_ids[id]), "'s"));
    annotation_ids[id] = i;
    const int64_t image_id = f.integer(node, "image_id", where), category_id = f.integer(node, "category_id", where);
    const auto item = item_of.find(image_id);
    if (item == item_of.end()) f.fail(where + ".image_id", concat_message(image_id, " names no image"));
    const auto label = label_of.find(category_id);
    if (label == label_of.end()) f.fail(where + ".category_id", concat_message(category_id, " names no category"));
    const CocoBox b = f.coco_box(node, where);
    if (b.width < 0 || b.height < 0) f.fail(where + ".bbox", concat_message("a box of negative size (", b.width, " x ", b.height, ")"));
    Annotation& a = data.items[item->second];
    Object o;
    o.label = label->second;
    o.name = data.classes[o.label];
    o.box = from_coco_box(b);
    o.crowd = f.flag(node, "iscrowd", where);
    o.difficult = f.flag(node, "difficult", where);
    o.truncated = f.flag(node, "truncated", where);
    if (node.contains("area")) {
      o.area = f.number(node["area"], where + ".area");
      if (o.area < 0) f.fail(where + ".area", concat_message(o.area, " is negative"));
    }
    if (!options.for_training) {  // as annotated, for evaluation
      o.coco_box = b;
      a.objects.push_back(o);
      continue;
    }
    if (o.crowd) continue;  // crowd regions are not trained on
    if (clip_to_image(o.box, a.width, a.height, source + ": " + where, warnings)) a.objects.push_back(o);
  }

  if (options.missing_image != OnMissingImage::Ignore) {
    std::vector<Annotation> present;
    for (Annotation& a : data.items) {
      if (fs::exists(a.image_path)) {
        present.push_back(std::move(a));
        continue;
      }
      check(options.missing_image == OnMissingImage::WarnAndSkip, "read_coco: ", source, ": image ", a.image_path, " is missing");
      warnings.push_back(a.image_path + ": image missing, skipped");
    }
    data.items = std::move(present);
  }
  return data;
}

Dataset read_coco(const std::string& dir, const std::string& split, const CocoReadOptions& options) {
  const std::string file = coco_annotation_file(dir, split);
  std::ifstream in(file, std::ios::binary);
  check(in.good(), "read_coco: cannot open ", file, " (a COCO folder holds annotations/instances_<split>.json)");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> warnings;
  Dataset data = parse_coco(text, file, coco_image_dir(dir, split), options, warnings);
  data.name = fs::path(dir).filename().string() + " " + split;
  for (const std::string& w : warnings) std::cerr << "warning: " << w << "\n";
  check(!data.items.empty(), "read_coco: ", file, " lists no usable images");
  return data;
}

std::vector<int64_t> coco_image_ids(const Dataset& data) {
  std::vector<int64_t> ids;
  const auto with_id = std::count_if(data.items.begin(), data.items.end(), [](const Annotation& a) { return a.coco_id.has_value(); });
  check(with_id == 0 || static_cast<size_t>(with_id) == data.items.size(), "coco_image_ids: ", data.name, ": ", with_id,
        " of ", data.items.size(), " images have COCO ids: a data set's ids are all the file's, or none are");
  const bool own = with_id > 0;
  for (const Annotation& a : data.items) {
    if (own) {
      ids.push_back(*a.coco_id);
      continue;
    }
    const bool digits = !a.id.empty() && a.id.size() < 18 &&
                        std::all_of(a.id.begin(), a.id.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) break;
    ids.push_back(std::stoll(a.id));
  }
  std::vector<int64_t> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  if (ids.size() == data.items.size() && std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end()) return ids;
  check(!own, "coco_image_ids: ", data.name, " holds an image id twice");
  ids.clear();
  for (size_t i = 0; i < data.items.size(); ++i) ids.push_back(static_cast<int64_t>(i) + 1);
  return ids;
}

int64_t coco_category_id(const Dataset& data, int64_t label) {
  return data.category_ids.empty() ? label + 1 : data.category_ids.at(static_cast<size_t>(label));
}

void write_coco(const Dataset& data, const std::string& path) {
  const std::vector<int64_t> ids = coco_image_ids(data);
  json images = json::array(), annotations = json::array(), categories = json::array();
  for (size_t c = 0; c < data.classes.size(); ++c)
    categories.push_back({{"id", coco_category_id(data, static_cast<int64_t>(c))}, {"name", data.classes[c]}});
  int64_t next_id = 1;
  for (size_t i = 0; i < data.items.size(); ++i) {
    const Annotation& a = data.items[i];
    images.push_back({{"id", ids[i]}, {"file_name", fs::path(a.image_path).filename().string()}, {"width", a.width},
                      {"height", a.height}});
    for (const Object& o : a.objects) {
      const CocoBox b = o.coco_box ? *o.coco_box : rounded(to_coco_box(o.box));
      json node = {{"id", next_id++},
                   {"image_id", ids[i]},
                   {"category_id", coco_category_id(data, o.label)},
                   {"bbox", {b.x, b.y, b.width, b.height}},
                   {"area", rounded(o.evaluated_area())},
                   {"iscrowd", o.crowd ? 1 : 0}};
      if (o.difficult) node["difficult"] = 1;
      if (o.truncated) node["truncated"] = 1;
      annotations.push_back(std::move(node));
    }
  }
  if (fs::path(path).has_parent_path()) fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path);
  out << json{{"images", images}, {"annotations", annotations}, {"categories", categories}}.dump() << "\n";
  check(out.good(), "write_coco: cannot write ", path);
}

}  // namespace rcnn
