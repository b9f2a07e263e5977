// detection/voc_eval: every rule of the official devkit on cases computed by hand.
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "datasets/data_folder.h"
#include "datasets/voc.h"
#include "detection/error_kinds.h"
#include "detection/voc_eval.h"
#include "tests/files.h"
#include "tests/helpers.h"

using namespace rcnn;

namespace {
Object truth(int64_t label, Box box, bool difficult = false) { return {"", label, box, difficult, false}; }
Dataset two_class_set(std::vector<Annotation> items) { return {"crafted", {"cat", "dog"}, std::move(items)}; }
}  // namespace

TEST_CASE("voc_iou is the devkit's +1 IoU: equal to plain IoU in continuous coordinates") {
  CHECK(voc_iou({0, 0, 10, 10}, {0, 0, 10, 10}) == doctest::Approx(1.0));
  CHECK(voc_iou({0, 0, 10, 10}, {5, 0, 15, 10}) == doctest::Approx(50.0 / 150));
  CHECK(voc_iou({0, 0, 10, 10}, {10, 0, 20, 10}) == 0);  // touching edges: no shared pixel
  // In VOC pixels the first box is 1..10 (10 wide): the devkit's (xmax - xmin + 1) gives the same areas.
  CHECK(voc_iou({0, 0, 10, 10}, {0, 0, 10, 20}) == doctest::Approx(0.5));
}

TEST_CASE("duplicates are false positives, difficult objects are neither, misses are false positives") {
  Dataset gt = two_class_set({{"a", "", 100, 100, {truth(0, {10, 10, 50, 50}), truth(0, {60, 60, 90, 90}, true)}}});
  std::vector<Detection> dets = {{"a", 0, 0.9f, {10, 10, 50, 50}},   // TP
                                 {"a", 0, 0.8f, {11, 11, 50, 50}},   // the same object again: FP
                                 {"a", 0, 0.7f, {60, 60, 90, 90}},   // the difficult object: ignored
                                 {"a", 0, 0.6f, {0, 60, 20, 100}}};  // nothing there: FP
  VocEvaluation e = evaluate_voc(gt, dets, true);
  const ClassAP& cat = e.classes[0];
  CHECK(cat.positives == 1);  // the difficult object is not a positive
  REQUIRE(cat.recall.size() == 3);  // the ignored detection adds no point
  CHECK(cat.recall == std::vector<double>{1, 1, 1});
  CHECK(cat.precision[0] == doctest::Approx(1.0));
  CHECK(cat.precision[1] == doctest::Approx(0.5));
  CHECK(cat.precision[2] == doctest::Approx(1.0 / 3));
  CHECK(cat.ap == doctest::Approx(1.0));
  CHECK(e.map == doctest::Approx(1.0));  // dog has no positives and does not count
  CHECK(e.verdicts == std::vector<Verdict>{Verdict::TruePositive, Verdict::FalsePositive, Verdict::Ignored,
                                           Verdict::FalsePositive});
  CHECK(e.classes[1].positives == 0);
}

TEST_CASE("a match needs IoU strictly above 0.5") {
  Dataset gt = two_class_set({{"a", "", 100, 100, {truth(1, {0, 0, 10, 10})}}});
  CHECK(evaluate_voc(gt, {{"a", 1, 0.9f, {0, 0, 10, 20}}}).classes[1].ap == 0);  // IoU exactly 0.5
  CHECK(evaluate_voc(gt, {{"a", 1, 0.9f, {0, 0, 10, 19}}}).classes[1].ap == doctest::Approx(1.0));  // IoU 10/19
  CHECK(evaluate_voc(gt, {{"a", 0, 0.9f, {0, 0, 10, 10}}}).classes[1].ap == 0);  // the wrong class
}

TEST_CASE("11-point and area AP on a ranking computed by hand") {
  // Three positives in two images; detections ranked TP, FP, TP, FP, TP:
  // recall 1/3 1/3 2/3 2/3 1, precision 1 1/2 2/3 1/2 3/5.
  Dataset gt = two_class_set({{"a", "", 100, 100, {truth(0, {0, 0, 20, 20}), truth(0, {50, 50, 80, 80})}},
                              {"b", "", 100, 100, {truth(0, {10, 10, 40, 40})}}});
  std::vector<Detection> dets = {{"a", 0, 0.95f, {0, 0, 20, 20}},  {"b", 0, 0.9f, {60, 0, 90, 30}},
                                 {"b", 0, 0.85f, {10, 10, 40, 41}}, {"a", 0, 0.8f, {0, 50, 30, 80}},
                                 {"a", 0, 0.7f, {50, 50, 80, 80}}};
  // 11-point: t <= 0.3 -> 1 (4 points); 0.4..0.6 -> 2/3 (3 points); 0.7..1 -> 3/5 (4 points).
  CHECK(evaluate_voc(gt, dets, true).classes[0].ap == doctest::Approx((4 + 3 * (2.0 / 3) + 4 * 0.6) / 11));
  // Area under the envelope: 1/3 * 1 + 1/3 * 2/3 + 1/3 * 3/5.
  CHECK(evaluate_voc(gt, dets, false).classes[0].ap == doctest::Approx((1 + 2.0 / 3 + 0.6) / 3));
  // Equal scores keep their given order (the devkit's stable sort).
  std::vector<Detection> tied = dets;
  for (Detection& d : tied) d.score = 0.5f;
  CHECK(evaluate_voc(gt, tied, false).classes[0].ap == doctest::Approx((1 + 2.0 / 3 + 0.6) / 3));
}

TEST_CASE("results files round-trip in VOC's 1-based pixels, and the table ends with mAP") {
  Dataset gt = two_class_set({{"000001", "", 100, 100, {truth(0, {0, 0, 20, 20}), truth(1, {30, 30, 60, 70})}}});
  std::vector<Detection> dets = {{"000001", 0, 0.9f, {0, 0, 20, 20}}, {"000001", 1, 0.8f, {30.5f, 30, 60, 70}}};
  rcnn::testing::TempDir temp("voc_results");
  const std::string dir = temp / "results";
  write_voc_results(dir, "test", gt.classes, dets);
  std::vector<Detection> back = read_voc_results(dir, "test", gt.classes);
  REQUIRE(back.size() == 2);
  CHECK(back[1].box == dets[1].box);
  CHECK(back[1].label == 1);
  VocEvaluation e = evaluate_voc(gt, back);
  CHECK(e.map == doctest::Approx(1.0));
  std::string table = format_evaluation(e);
  CHECK(table.find("dog") != std::string::npos);
  CHECK(table.substr(table.size() - 16) == "mAP@0.5: 1.0000\n");
  std::filesystem::remove_all(dir);
  CHECK_THROWS_WITH_AS(read_voc_results(dir, "test", gt.classes), doctest::Contains("cannot open"), Error);
}

TEST_CASE("the table shows a class without objects as absent, and says over how many classes the mean is") {
  Dataset gt = two_class_set({{"000001", "", 100, 100, {truth(0, {0, 0, 20, 20})}}});
  const std::string table = format_evaluation(evaluate_voc(gt, {{"000001", 0, 0.9f, {0, 0, 20, 20}}, {"000001", 1, 0.5f, {1, 1, 9, 9}}}));
  CHECK(table.find("dog                   0          1        - (no objects)\n") != std::string::npos);
  CHECK(table.find("mAP@0.5: 1.0000 (the mean over the 1 of 2 classes with objects)\n") != std::string::npos);
}

TEST_CASE("evaluation rejects detections it cannot place") {
  Dataset gt = two_class_set({{"a", "", 100, 100, {}}});
  CHECK_THROWS_WITH_AS(evaluate_voc(gt, {{"zzz", 0, 0.5f, {0, 0, 1, 1}}}), doctest::Contains("'zzz'"), Error);
  CHECK_THROWS_WITH_AS(evaluate_voc(gt, {{"a", 2, 0.5f, {0, 0, 1, 1}}}), doctest::Contains("class 2"), Error);
  CHECK(evaluate_voc(gt, {}).map == 0);  // no positives anywhere
}

// py-faster-rcnn's voc_eval.py (ported in tests/reference/make_voc_reference.py) on 24 random data
// sets and one of crafted edges, through the files: annotations written and read back raw, results
// files written and read back. The per-class APs must agree to 1e-9 (the bar is 1e-6).
TEST_CASE("per-class AP equals voc_eval.py's on random files, both metrics") {
  std::ifstream file("tests/reference/voc_eval.json");
  REQUIRE_MESSAGE(file.good(), "tests/reference/voc_eval.json is missing: run the tests from the repository root, "
                               "or regenerate it with `make reference`");
  const nlohmann::json ref = nlohmann::json::parse(file);
  const std::vector<std::string> classes = ref.at("classes");
  for (const nlohmann::json& c : ref.at("cases")) {
    CAPTURE(c.at("seed").get<int>());
    rcnn::testing::TempDir temp("voc_reference");
    const std::string dir = temp / "data";
    std::map<std::string, Annotation> items;
    for (const std::string id : c.at("images")) items[id] = Annotation{id, "", 200, 200, {}};
    for (const nlohmann::json& o : c.at("objects")) {
      const auto b = o.at("bbox").get<std::vector<double>>();
      Object object{o.at("name"), -1, from_voc_pixels({b[0], b[1], b[2], b[3]}), o.at("difficult").get<int>() != 0, false};
      items[o.at("image")].objects.push_back(object);
    }
    std::vector<std::string> ids;
    std::filesystem::create_directories(temp / "data/Annotations");
    for (auto& [id, a] : items) {
      write_voc_annotation(a, temp / ("data/Annotations/" + id + ".xml"));
      ids.push_back(id);
    }
    write_voc_split(dir, "test", ids);
    rcnn::testing::write_file(temp / "data/classes.txt", classes[0] + "\r\n" + classes[1] + " \n" + classes[2] + "\n");
    Dataset gt = read_dataset(dir, "test", DataPurpose::Evaluation);  // no JPEGImages/: evaluation reads no image
    std::vector<Detection> dets;
    for (const nlohmann::json& d : c.at("detections")) {
      const auto b = d.at("bbox").get<std::vector<double>>();
      const int64_t label = std::find(classes.begin(), classes.end(), d.at("name")) - classes.begin();
      dets.push_back({d.at("image"), label, d.at("score").get<double>(), from_voc_pixels({b[0], b[1], b[2], b[3]})});
    }
    write_voc_results(temp / "results", "test", gt.classes, dets);
    const std::vector<Detection> back = read_voc_results(temp / "results", "test", gt.classes);
    for (const char* metric : {"07", "area"}) {
      VocEvaluation e = evaluate_voc(gt, back, std::string(metric) == "07");
      for (const ClassAP& r : e.classes) {
        CAPTURE(metric);
        CAPTURE(r.name);
        const nlohmann::json& want = c.at("ap").at(metric);
        if (!want.contains(r.name)) {
          CHECK(r.positives == 0);  // the reference's AP is NaN there
          continue;
        }
        CHECK(r.ap == doctest::Approx(want.at(r.name).get<double>()).epsilon(1e-9));
      }
    }
  }
}

TEST_SUITE("ch13") {

TEST_CASE("false positives sorted by kind on crafted boxes: Hoiem et al.'s (TIDE's) definitions") {
  // A cat at (0, 0, 100, 100) and a dog at (200, 0, 300, 100).
  const Annotation image{"a", "", 400, 200, {truth(0, {0, 0, 100, 100}), truth(1, {200, 0, 300, 100})}};
  auto kind = [&](int64_t label, Box b) { return classify_false_positive({"a", label, 0.9, b}, image); };
  CHECK(kind(0, {5, 5, 100, 100}) == ErrorKind::Duplicate);        // IoU 0.9025 with its own class's object
  CHECK(kind(0, {0, 0, 100, 51}) == ErrorKind::Duplicate);         // IoU 0.51
  CHECK(kind(0, {0, 0, 100, 50}) == ErrorKind::Localisation);      // IoU exactly 0.5: no match (chapter 11)
  CHECK(kind(0, {50, 0, 150, 100}) == ErrorKind::Localisation);    // IoU 1/3
  CHECK(kind(0, {90, 0, 190, 100}) == ErrorKind::Background);      // IoU 0.0526 < 0.1 ...
  CHECK(kind(0, {80, 0, 180, 100}) == ErrorKind::Localisation);    // ... 0.111 >= 0.1
  CHECK(kind(0, {210, 0, 310, 100}) == ErrorKind::Confusion);      // a cat box on the dog
  CHECK(kind(0, {280, 0, 380, 100}) == ErrorKind::Confusion);      // IoU 0.111 with the dog: wrong class, badly placed too
  CHECK(kind(0, {60, 0, 250, 100}) == ErrorKind::Localisation);    // across both: its own class's object first
  CHECK(kind(0, {120, 120, 180, 180}) == ErrorKind::Background);   // on nothing
  CHECK(kind(0, {95, 0, 195, 100}) == ErrorKind::Background);      // IoU 0.026 with the cat: under 0.1
  CHECK(std::string(error_kind_name(ErrorKind::Confusion)) == "confusion");
}

TEST_CASE("what each kind of error costs in mAP, TIDE's way, on a ranking worked by hand") {
  // Cats at (0, 0, 100, 100) and (300, 120, 380, 190), a dog at (200, 0, 300, 100).
  Dataset data{"crafted", {"cat", "dog"}, {{"a", "", 400, 200,
                                            {truth(0, {0, 0, 100, 100}), truth(1, {200, 0, 300, 100}),
                                             truth(0, {300, 120, 380, 190})}}}};
  const std::vector<Detection> detections = {
      {"a", 0, 0.9, {0, 0, 100, 100}},     // found the first cat
      {"a", 0, 0.8, {5, 5, 100, 100}},     // duplicate
      {"a", 1, 0.7, {250, 0, 350, 100}},   // localisation (IoU 1/3 with the dog)
      {"a", 0, 0.6, {120, 120, 180, 180}}, // background
      {"a", 0, 0.5, {200, 0, 300, 100}}};  // confusion: a cat box on the dog
  const VocEvaluation e = evaluate_voc(data, detections, false);
  const ErrorCosts c = error_costs(data, detections, e, false);
  // cat: 1 of 2 found at precision 1 (AP 0.5); dog: none (AP 0): mAP 0.25.
  CHECK(c.map == doctest::Approx(0.25));
  CHECK(c.counts[static_cast<int>(ErrorKind::Duplicate)] == 1);
  CHECK(c.counts[static_cast<int>(ErrorKind::Localisation)] == 1);
  CHECK(c.counts[static_cast<int>(ErrorKind::Background)] == 1);
  CHECK(c.counts[static_cast<int>(ErrorKind::Confusion)] == 1);
  CHECK(c.kinds[static_cast<int>(ErrorKind::Duplicate)] == doctest::Approx(0));    // after the true positive
  CHECK(c.kinds[static_cast<int>(ErrorKind::Background)] == doctest::Approx(0));   // likewise
  CHECK(c.kinds[static_cast<int>(ErrorKind::Localisation)] == doctest::Approx(0.5));  // the dog found first: AP 1
  CHECK(c.kinds[static_cast<int>(ErrorKind::Confusion)] == doctest::Approx(0.25));    // the dog found second: AP 0.5
  CHECK(c.missed_objects == 2);  // the second cat and the dog
  CHECK(c.missed == doctest::Approx(0.75));  // cat AP 1; the dog class has no objects left, out of the mean
}

}  // TEST_SUITE
