// COCO-format data sets (datasets/coco.h) and COCO's metric (detection/coco_eval.h): the reader's
// answers and messages, the round trips through both formats, and the 12 summary numbers against the
// port of pycocotools' COCOeval in tests/reference/make_coco_reference.py.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "datasets/coco.h"
#include "datasets/data_folder.h"
#include "datasets/generated.h"
#include "datasets/voc.h"
#include "detection/coco_eval.h"
#include "tests/files.h"

using namespace rcnn;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

Dataset parse(const json& file, bool for_training, std::vector<std::string>& warnings) {
  CocoReadOptions options;
  options.missing_image = OnMissingImage::Ignore;
  options.for_training = for_training;
  return parse_coco(file.dump(), "instances_test.json", "images", options, warnings);
}

Dataset parse(const json& file, bool for_training = false) {
  std::vector<std::string> warnings;
  return parse(file, for_training, warnings);
}

json small_file() {
  return json::parse(R"({
    "images": [{"id": 42, "file_name": "b.jpg", "width": 100, "height": 80},
               {"id": 7, "file_name": "a.png", "width": 50, "height": 50},
               {"id": 9, "file_name": "empty.jpg", "width": 50, "height": 50}],
    "categories": [{"id": 18, "name": "dog"}, {"id": 3, "name": "car"}],
    "annotations": [
      {"id": 1, "image_id": 42, "category_id": 18, "bbox": [10.5, 20, 30, 40.25], "area": 900.5, "iscrowd": 0},
      {"id": 2, "image_id": 42, "category_id": 3, "bbox": [90, 70, 20, 20], "iscrowd": 0},
      {"id": 3, "image_id": 7, "category_id": 3, "bbox": [0, 0, 50, 50], "area": 2000, "iscrowd": 1},
      {"id": 4, "image_id": 7, "category_id": 18, "bbox": [60, 10, 5, 5], "iscrowd": 0}]})");
}

// The error a broken copy of small_file() gives.
std::string error_of(const std::function<void(json&)>& breaking) {
  json file = small_file();
  breaking(file);
  try {
    parse(file);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_SUITE("coco") {

TEST_CASE("read_coco: classes in increasing category id, boxes from [x, y, w, h], crowds and areas kept for evaluation") {
  const Dataset d = parse(small_file());
  CHECK(d.classes == std::vector<std::string>{"car", "dog"});
  CHECK(d.category_ids == std::vector<int64_t>{3, 18});
  REQUIRE(d.items.size() == 3);
  CHECK(d.items[0].id == "b");
  CHECK(d.items[0].coco_id == 42);
  CHECK(d.items[0].image_path == (fs::path("images") / "b.jpg").string());
  CHECK(d.items[0].width == 100);
  REQUIRE(d.items[0].objects.size() == 2);
  const Object& dog = d.items[0].objects[0];
  CHECK(dog.label == 1);
  CHECK(dog.name == "dog");
  CHECK(dog.box == Box{10.5, 20, 40.5, 60.25});
  CHECK(dog.area == 900.5);
  CHECK(d.items[0].objects[1].area == -1);  // none given: the box's serves
  CHECK(d.items[0].objects[1].evaluated_area() == 400);
  CHECK(d.items[1].objects[0].crowd);
  CHECK(d.items[2].objects.empty());  // an image without objects stays: a negative for evaluation
  CHECK(coco_image_ids(d) == std::vector<int64_t>{42, 7, 9});
  CHECK(coco_category_id(d, 0) == 3);
}

// Ids are the file's, whatever their sign (an id of -1 once made the reader renumber every image from
// file names without a word, and score results against the wrong images); two files whose names differ
// only in extension are valid COCO, each named by its whole file name.
TEST_CASE("read_coco: negative and zero image ids are kept; a.jpg and a.png are two images") {
  json file = small_file();
  file["images"][0]["id"] = -1;
  file["images"][1]["id"] = 0;
  file["images"][2]["file_name"] = "b.png";
  for (json& a : file["annotations"]) a["image_id"] = a["image_id"] == 42 ? -1 : a["image_id"] == 7 ? 0 : a["image_id"].get<int>();
  const Dataset d = parse(file);
  CHECK(coco_image_ids(d) == std::vector<int64_t>{-1, 0, 9});
  CHECK(d.items[0].id == "b.jpg");
  CHECK(d.items[2].id == "b.png");
  CHECK(d.items[1].id == "a");
  CHECK(d.items[0].objects.size() == 2);
  // Results naming the file's ids are scored against those images: the two objects of image -1 found.
  testing::TempDir dir("coco_ids");
  testing::write_file(dir / "r.json", R"([{"image_id": -1, "category_id": 18, "bbox": [10.5, 20, 30, 40.25], "score": 0.9},
                                         {"image_id": -1, "category_id": 3, "bbox": [90, 70, 20, 20], "score": 0.8}])");
  const std::vector<Detection> found = read_coco_results(dir / "r.json", d);
  REQUIRE(found.size() == 2);
  CHECK(found[0].image_id == "b.jpg");
  Dataset mixed = d;
  mixed.items[1].coco_id.reset();
  CHECK_THROWS_WITH_AS(coco_image_ids(mixed), doctest::Contains("2 of 3 images have COCO ids"), Error);
}

// pycocotools computes from [x, y, w, h] as the file gives them: 80.62 + 10.74 - 80.62 is not 10.74, so a
// detection shifted by exactly a third of its width (true IoU 1/2) has an IoU of 0.4999999999999996
// from the file's numbers and 0.5 from the corners: missed at IoU 0.5 by pycocotools, matched by corners.
TEST_CASE("COCO metric: an IoU exactly on 0.5 from decimal numbers counts as pycocotools counts it") {
  json file = small_file();
  file["annotations"] = json::parse(R"([{"id": 1, "image_id": 42, "category_id": 3, "bbox": [80.62, 10.0, 10.74, 20.0],
                                         "area": 214.8, "iscrowd": 0}])");
  const Dataset gt = parse(file);
  testing::TempDir dir("coco_tie");
  testing::write_file(dir / "r.json", R"([{"image_id": 42, "category_id": 3, "bbox": [84.2, 10.0, 10.74, 20.0], "score": 0.9}])");
  const std::vector<Detection> found = read_coco_results(dir / "r.json", gt);
  const CocoEvaluation e = evaluate_coco(gt, found);
  const double w = std::min(84.2 + 10.74, 80.62 + 10.74) - 84.2, iou = w * 20.0 / (10.74 * 20.0 + 10.74 * 20.0 - w * 20.0);
  CHECK(iou < 0.5);
  CHECK(e.stats[1] == 0.0);  // AP50 as maskApi.c's arithmetic decides it: missed
  const Box corners_d = from_coco_box({84.2, 10.0, 10.74, 20.0}), corners_g = from_coco_box({80.62, 10.0, 10.74, 20.0});
  const double wc = std::min(corners_d.x2, corners_g.x2) - std::max(corners_d.x1, corners_g.x1);
  const double iou_corners = wc * 20 / (corners_d.width() * 20 + corners_g.width() * 20 - wc * 20);
  CAPTURE(iou);
  CAPTURE(iou_corners);
  CHECK((iou >= 0.5) != (iou_corners >= 0.5));  // the case sits where the two ways part
}

TEST_CASE("read_coco for training: crowds left out, boxes clipped to the image, those outside it dropped, with warnings") {
  std::vector<std::string> warnings;
  const Dataset d = parse(small_file(), true, warnings);
  REQUIRE(d.items[0].objects.size() == 2);
  CHECK(d.items[0].objects[1].box == Box{90, 70, 100, 80});  // clipped
  CHECK(d.items[1].objects.empty());                         // the crowd left out, the box outside dropped
  REQUIRE(warnings.size() == 2);
  CHECK(warnings[0] == "instances_test.json: annotations[1]: box reaches outside the image, clipped");
  CHECK(warnings[1] == "instances_test.json: annotations[3]: box has no area inside the image, skipped");
}

TEST_CASE("read_coco: every error names the file and the JSON path") {
  std::vector<std::string> warnings;
  CHECK_THROWS_WITH_AS(parse_coco("{\"images\": [1, 2", "instances_test.json", "images", {}, warnings),
                       doctest::Contains("read_coco: instances_test.json: malformed JSON (at line 1, column 17: syntax error"), Error);
  // Found by the fuzzer: a number beyond a double's range is nlohmann-json's out_of_range, no parse_error.
  CHECK_THROWS_WITH_AS(parse_coco("{\"images\": [1e30840]}", "instances_test.json", "images", {}, warnings),
                       "read_coco: instances_test.json: malformed JSON (number overflow parsing '1e30840')", Error);
  CHECK(error_of([](json& f) { f.erase("images"); }) == "read_coco: instances_test.json: the top level: has no \"images\"");
  CHECK(error_of([](json& f) { f["annotations"][2].erase("bbox"); }) ==
        "read_coco: instances_test.json: annotations[2]: has no \"bbox\"");
  CHECK(error_of([](json& f) { f["annotations"][1]["bbox"][2] = -3; }) ==
        "read_coco: instances_test.json: annotations[1].bbox: a box of negative size (-3 x 20)");
  CHECK(error_of([](json& f) { f["annotations"][1]["bbox"] = {1, 2, 3}; }) ==
        "read_coco: instances_test.json: annotations[1].bbox: is [1,2,3], not [x, y, width, height]");
  CHECK(error_of([](json& f) { f["annotations"][0]["bbox"][0] = "10"; }) ==
        "read_coco: instances_test.json: annotations[0].bbox[0]: is \"10\", not a number");
  CHECK(error_of([](json& f) { f["annotations"][3]["image_id"] = 8; }) ==
        "read_coco: instances_test.json: annotations[3].image_id: 8 names no image");
  CHECK(error_of([](json& f) { f["annotations"][3]["category_id"] = 1; }) ==
        "read_coco: instances_test.json: annotations[3].category_id: 1 names no category");
  CHECK(error_of([](json& f) { f["annotations"][3]["id"] = 1; }) ==
        "read_coco: instances_test.json: annotations[3].id: 1 is also annotations[0]'s");
  CHECK(error_of([](json& f) { f["images"][2]["id"] = 42; }) ==
        "read_coco: instances_test.json: images[2].id: 42 is also another image's");
  CHECK(error_of([](json& f) { f["images"][2]["file_name"] = "b.jpg"; }) ==
        "read_coco: instances_test.json: images[2].file_name: 'b.jpg' is also images[0]'s file name");
  CHECK(error_of([](json& f) { f["categories"][1]["name"] = "dog"; }) ==
        "read_coco: instances_test.json: categories[1].name: 'dog' is also categories[0]'s");
  CHECK(error_of([](json& f) { f["categories"][1]["id"] = 18; }) ==
        "read_coco: instances_test.json: categories[1].id: 18 is also another category's");
  CHECK(error_of([](json& f) { f["images"][0]["width"] = 0; }) ==
        "read_coco: instances_test.json: images[0]: image size 0x80 is not between 1 and 100000");
  CHECK(error_of([](json& f) { f["annotations"][0]["iscrowd"] = 2; }) ==
        "read_coco: instances_test.json: annotations[0].iscrowd: is 2, not 0 or 1");
  CHECK(error_of([](json& f) { f["annotations"][0]["area"] = -1; }) ==
        "read_coco: instances_test.json: annotations[0].area: -1 is negative");
  CHECK(error_of([](json& f) { f["categories"] = json::array(); }) ==
        "read_coco: instances_test.json: categories: is empty: a data set needs at least one class");
}

TEST_CASE("VOC -> COCO -> VOC and COCO -> VOC -> COCO keep what both formats hold") {
  testing::TempDir dir("coco_round_trip");
  generate_shapes({dir / "voc", 12, 5, 96});
  const Dataset voc = read_dataset(dir / "voc", "trainval", DataPurpose::Evaluation);
  write_coco(voc, dir / "coco/annotations/instances_trainval.json");
  CHECK(data_format(dir / "coco") == DataFormat::Coco);
  CHECK(data_format(dir / "voc") == DataFormat::Voc);
  const Dataset coco = read_dataset(dir / "coco", "trainval", DataPurpose::Evaluation);
  REQUIRE(coco.items.size() == voc.items.size());
  CHECK(coco.classes == voc.classes);
  for (size_t i = 0; i < voc.items.size(); ++i) {
    CAPTURE(voc.items[i].id);
    CHECK(coco.items[i].id == voc.items[i].id);
    CHECK(coco.items[i].coco_id == std::stoll(voc.items[i].id));
    REQUIRE(coco.items[i].objects.size() == voc.items[i].objects.size());
    for (size_t k = 0; k < voc.items[i].objects.size(); ++k) {
      const Object &a = voc.items[i].objects[k], &b = coco.items[i].objects[k];
      CHECK(b.box == a.box);
      CHECK(b.label == a.label);
      CHECK(b.difficult == a.difficult);
      CHECK(b.truncated == a.truncated);
    }
  }
  // Back to VOC files, and to COCO again: the same file, byte for byte.
  fs::create_directories(dir / "voc2/Annotations");
  for (const Annotation& a : coco.items) write_voc_annotation(a, dir / ("voc2/Annotations/" + a.id + ".xml"));
  std::vector<std::string> ids;
  for (const Annotation& a : coco.items) ids.push_back(a.id);
  write_voc_split(dir / "voc2", "trainval", ids);
  fs::copy_file(dir / "voc/classes.txt", dir / "voc2/classes.txt");
  write_coco(read_dataset(dir / "voc2", "trainval", DataPurpose::Evaluation), dir / "coco2/annotations/instances_trainval.json");
  CHECK(testing::read_file(dir / "coco2/annotations/instances_trainval.json") ==
        testing::read_file(dir / "coco/annotations/instances_trainval.json"));
}

TEST_CASE("COCO's boxes of decimal numbers come back as written") {
  json file = small_file();
  file["annotations"][0]["bbox"] = {473.07, 395.93, 38.65, 28.67};
  testing::TempDir dir("coco_decimals");
  write_coco(parse(file), dir / "again.json");
  const json again = json::parse(testing::read_file(dir / "again.json"));
  CHECK(again["annotations"][0]["bbox"] == json({473.07, 395.93, 38.65, 28.67}));
  CHECK(again["annotations"][0]["area"] == 900.5);
  CHECK(again["annotations"][2]["iscrowd"] == 1);
  CHECK(again["categories"] == json::parse(R"([{"id": 3, "name": "car"}, {"id": 18, "name": "dog"}])"));
}

// The reference: ground truth and results files from tests/reference/make_coco_reference.py (random
// sets and crafted edges) with the 12 numbers its port of pycocotools gives. Both files go through
// the readers, the results also through the writer.
TEST_CASE("COCO metric: the 12 numbers equal the real pycocotools' to 1e-12 on random sets, exact ties and crafted edges") {
  std::ifstream file("tests/reference/coco_eval.json");
  REQUIRE_MESSAGE(file.good(), "tests/reference/coco_eval.json is missing: run the tests from the repository root, "
                               "or regenerate it with `make reference`");
  const json ref = json::parse(file);
  REQUIRE(ref.at("cases").size() >= 68);
  testing::TempDir dir("coco_reference");
  for (const json& c : ref.at("cases")) {
    CAPTURE(c.at("name").get<std::string>());
    const Dataset gt = parse(c.at("ground_truth"));
    testing::write_file(dir / "results.json", c.at("results").dump());
    const std::vector<Detection> found = read_coco_results(dir / "results.json", gt);
    write_coco_results(dir / "again.json", gt, found);
    const CocoEvaluation e = evaluate_coco(gt, read_coco_results(dir / "again.json", gt));
    const std::vector<double> expected = c.at("stats");
    CAPTURE(c.at("oracle").get<std::string>());
    for (size_t i = 0; i < 12; ++i) {
      CAPTURE(i);
      CHECK(std::abs(e.stats[i] - expected[i]) <= 1e-12);
    }
  }
}

TEST_CASE("COCO metric by hand: a perfect detector, a duplicate, a crowd, and the summary's format") {
  json file = small_file();
  const Dataset gt = parse(file);
  // Every object found exactly, plus a second box on the dog (a false positive at every threshold)
  // and three detections inside the crowd (ignored, not false positives).
  std::vector<Detection> found = {{"b", 1, 0.9, {10.5, 20, 40.5, 60.25}}, {"b", 0, 0.8, {90, 70, 110, 90}},
                                  {"b", 1, 0.95, {70, 10, 90, 30}},         {"a", 0, 0.7, {0, 0, 10, 10}},
                                  {"a", 0, 0.6, {10, 10, 20, 20}},          {"a", 1, 0.5, {60, 10, 65, 15}}};
  const CocoEvaluation e = evaluate_coco(gt, found);
  // car: the crowd's detections ignored, its one object found (AP 1). dog: a false positive first (0.95),
  // then both objects: precision 0, 1/2, 2/3, made monotone 2/3 at every recall point.
  CHECK(e.class_ap[0] == doctest::Approx(1.0));
  CHECK(e.class_ap[1] == doctest::Approx(2.0 / 3).epsilon(1e-12));
  CHECK(e.stats[0] == doctest::Approx((1.0 + 2.0 / 3) / 2));
  // AR1, one detection per image and class: car 1; dog 1/2 (in image b the false one comes first).
  CHECK(e.stats[6] == doctest::Approx((1.0 + 0.5) / 2));
  const std::string text = format_coco_evaluation(e);
  CHECK(text.find(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.833\n") == 0);
  CHECK(text.find(" Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000\n") != std::string::npos);
  CHECK(std::count(text.begin(), text.end(), '\n') == 12);
}

TEST_CASE("read_coco_results: an unknown image is an error naming the entry") {
  const Dataset gt = parse(small_file());
  testing::TempDir dir("coco_results");
  testing::write_file(dir / "r.json", R"([{"image_id": 42, "category_id": 3, "bbox": [1, 2, 3, 4], "score": 0.5},
                                         {"image_id": 5, "category_id": 3, "bbox": [1, 2, 3, 4], "score": 0.5}])");
  CHECK_THROWS_WITH_AS(read_coco_results(dir / "r.json", gt), doctest::Contains("results[1].image_id: 5 is not an image of"), Error);
  testing::write_file(dir / "r.json", R"([{"image_id": 42, "category_id": 3, "bbox": [1, 2, 3, 4]}])");
  CHECK_THROWS_WITH_AS(read_coco_results(dir / "r.json", gt), doctest::Contains("results[0]: has no \"score\""), Error);
  testing::write_file(dir / "r.json", R"([{"image_id": 42, "category_id": 99, "bbox": [1, 2, 3, 4], "score": 1}])");
  {
    testing::CapturedStderr warnings;
    CHECK(read_coco_results(dir / "r.json", gt).empty());  // a category the data set lacks: left out, with a warning
    CHECK(warnings.str().find("1 detections of categories") != std::string::npos);
  }
}

// A COCO folder goes through `rcnn` as a VOC one does: generated, described, trained on, scored with
// both metrics (the COCO results file scored again gives the same summary), predicted on, converted.
TEST_CASE("rcnn: a generated COCO folder trains, evaluates and predicts like a VOC one") {
  testing::TempDir dir("coco_cli");
  const std::string rcnn = testing::built_program("rcnn").string();
  auto run = [&](const std::string& args) {
    const testing::CommandResult r = testing::run_command("cd " + fs::current_path().string() + " && " + rcnn + " " + args);
    CAPTURE(args);
    CAPTURE(r.output);
    REQUIRE(r.status == 0);
    return r.output;
  };
  CHECK(run("data shapes --format coco --images 10 --size 96 --out " + dir / "coco").find("(COCO layout;") != std::string::npos);
  CHECK(fs::exists(dir / "coco/annotations/instances_trainval.json"));
  CHECK(run("data stats " + dir / "coco --split trainval").find("split trainval: 9 images") != std::string::npos);
  const std::string trained = run("train --config configs/shapes_tiny.yaml --data " + dir / "coco" + " --out " + dir / "run" +
                                  " --threads 1 --set input.shorter_side=96 --set input.longer_side=96 --set rcnn.hidden=32"
                                  " --set rpn.channels=16 --set train.iterations=4 --set train.log_every=2");
  CHECK(trained.find("(COCO layout), split trainval") != std::string::npos);
  // Off a terminal the progress is a plain line every log_every (2) steps, not every 10 %.
  CHECK(trained.find("train [############............] 2/4  ") != std::string::npos);
  CHECK(trained.find("] 1/4  ") == std::string::npos);
  CHECK(trained.find("] 3/4  ") == std::string::npos);
  const std::string scored = run("eval --checkpoint " + dir / "run" + " --data " + dir / "coco" + " --metric coco");
  const size_t summary = scored.find(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = ");
  REQUIRE(summary != std::string::npos);
  const std::string again = run("eval --results " + dir / "run/eval/results/coco_results_test.json --data " + dir / "coco" +
                                " --metric coco");
  CHECK(again.substr(again.find(" Average Precision")) == scored.substr(summary));
  CHECK(run("eval --checkpoint " + dir / "run" + " --data " + dir / "coco").find("mAP@0.5: ") != std::string::npos);
  CHECK(run("predict --checkpoint " + dir / "run " + dir / "coco/images/000001.jpg --out " + dir / "drawn").find("detections") !=
        std::string::npos);
  CHECK(fs::exists(dir / "drawn/000001.json"));
  CHECK(run("data convert --to voc --data " + dir / "coco --out " + dir / "voc").find("converted 4 splits, 10 images") !=
        std::string::npos);
  // The same detector scored on the VOC copy with COCO's metric: the same numbers.
  const std::string on_voc = run("eval --checkpoint " + dir / "run" + " --data " + dir / "voc" + " --metric coco --out " + dir / "e2");
  CHECK(on_voc.substr(on_voc.find(" Average Precision")) == scored.substr(summary));
}

}  // TEST_SUITE
