#include "datasets/convert.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "core/error.h"
#include "datasets/coco.h"
#include "datasets/image.h"
#include "datasets/voc.h"

namespace rcnn {

namespace fs = std::filesystem;

namespace {

bool is_jpeg(const fs::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".jpg" || ext == ".jpeg";
}

}  // namespace

ConversionSummary convert_data(const std::string& from_dir, const std::string& to_dir, DataFormat to) {
  check(fs::weakly_canonical(from_dir) != fs::weakly_canonical(to_dir), "convert: --out must be another folder than --data");
  const std::vector<std::string> splits = data_splits(from_dir);
  check(!splits.empty(), "convert: ", from_dir, " holds no split (ImageSets/Main/<split>.txt or annotations/instances_<split>.json)");
  ConversionSummary summary;
  std::set<std::string> copied;  // images shared by splits (trainval = train + val) are copied once
  std::vector<std::string> classes;
  for (const std::string& split : splits) {
    Dataset data = read_dataset(from_dir, split, DataPurpose::Evaluation);  // as annotated, every box
    check(classes.empty() || classes == data.classes, "convert: split '", split, "' of ", from_dir, " has other classes");
    classes = data.classes;
    ++summary.splits;
    std::vector<std::string> ids;
    for (Annotation& a : data.items) {
      ids.push_back(a.id);
      const fs::path source = a.image_path;
      if (to == DataFormat::Coco) {
        a.image_path = (fs::path(to_dir) / "images" / source.filename()).string();
      } else {
        a.image_path = (fs::path(to_dir) / "JPEGImages" / (a.id + ".jpg")).string();
        const size_t before = a.objects.size();
        a.objects.erase(std::remove_if(a.objects.begin(), a.objects.end(), [](const Object& o) { return o.crowd; }), a.objects.end());
        if (!copied.count(a.image_path)) summary.crowds_left_out += static_cast<int64_t>(before - a.objects.size());
      }
      if (copied.insert(a.image_path).second) {
        ++summary.images;
        summary.objects += static_cast<int64_t>(a.objects.size());
        fs::create_directories(fs::path(a.image_path).parent_path());
        if (!fs::exists(source)) {
          ++summary.missing_images;
          std::cerr << "warning: " << source.string() << ": image missing, not copied\n";
        } else if (to == DataFormat::Coco || is_jpeg(source)) {
          fs::copy_file(source, a.image_path, fs::copy_options::overwrite_existing);
        } else {
          save_jpeg(load_image(source.string()), a.image_path, 95);
          ++summary.reencoded;
        }
        if (to == DataFormat::Voc) {
          fs::create_directories(fs::path(to_dir) / "Annotations");
          write_voc_annotation(a, (fs::path(to_dir) / "Annotations" / (a.id + ".xml")).string());
        }
      }
    }
    if (to == DataFormat::Coco) {
      write_coco(data, coco_annotation_file(to_dir, split));
    } else {
      write_voc_split(to_dir, split, ids);
    }
  }
  if (to == DataFormat::Voc) {
    std::ofstream names(fs::path(to_dir) / "classes.txt");
    for (const std::string& c : classes) names << c << "\n";
    check(names.good(), "convert: cannot write ", (fs::path(to_dir) / "classes.txt").string());
  }
  return summary;
}

}  // namespace rcnn
