#include "detection/coco_eval.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <numeric>

#include "datasets/coco.h"
#include "datasets/json_fields.h"

namespace rcnn {

namespace {

constexpr int kThresholds = 10, kRecalls = 101, kAreas = 4, kMaxDets = 3;
constexpr int kMaxDet[kMaxDets] = {1, 10, 100};
// pycocotools' areaRng: [0², 1e5²], [0², 32²], [32², 96²], [96², 1e5²].
constexpr double kArea[kAreas][2] = {{0, 1e10}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e10}};
const char* const kAreaName[kAreas] = {"all", "small", "medium", "large"};

// numpy's linspace(start, stop, n): start + i * step, the last exactly stop. The recall points must be
// these doubles: recalls such as 3/10 are compared with them.
template <int N>
std::array<double, N> linspace(double start, double stop) {
  std::array<double, N> values{};
  const double step = (stop - start) / (N - 1);
  for (int i = 0; i < N; ++i) values[i] = i * step + start;
  values[N - 1] = stop;
  return values;
}
const std::array<double, kThresholds> kIouThresholds = linspace<kThresholds>(0.5, 0.95);
const std::array<double, kRecalls> kRecallPoints = linspace<kRecalls>(0.0, 1.0);

// maskApi.c's bbIou, operation for operation on COCO's [x, y, w, h] (coco_numbers): a crowd region's
// overlap is the intersection over the detection's area.
double coco_iou(const CocoBox& d, const CocoBox& g, bool crowd) {
  const double w = std::min(d.width + d.x, g.width + g.x) - std::max(d.x, g.x);
  if (w <= 0) return 0;
  const double h = std::min(d.height + d.y, g.height + g.y) - std::max(d.y, g.y);
  if (h <= 0) return 0;
  const double inter = w * h, det_area = d.width * d.height;
  return inter / (crowd ? det_area : det_area + g.width * g.height - inter);
}

// One image's detections and ground truth of one class: evaluateImg's input.
struct ImageClass {
  std::vector<const Object*> truth;       // as annotated
  std::vector<const Detection*> found;    // by decreasing score (stable), at most 100
  std::vector<double> iou;                // found x truth
};

// evaluateImg's output for one area range.
struct ImageResult {
  bool present = false;                     // there were ground truth or detections
  std::vector<double> scores;               // of `found`
  std::vector<char> matched, ignored;       // kThresholds x found
  int64_t positives = 0;                    // ground truth neither crowd nor outside the range
};

ImageResult evaluate_image(const ImageClass& ic, const double range[2]) {
  ImageResult r;
  const size_t G = ic.truth.size(), D = ic.found.size();
  if (G == 0 && D == 0) return r;
  r.present = true;
  // Ground truth that only matches when nothing else does goes last (a stable order).
  std::vector<char> ignore(G);
  for (size_t g = 0; g < G; ++g) {
    const double area = ic.truth[g]->evaluated_area();
    ignore[g] = ic.truth[g]->crowd || area < range[0] || area > range[1];
  }
  std::vector<size_t> order(G);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ignore[a] < ignore[b]; });
  for (size_t g = 0; g < G; ++g) r.positives += !ignore[g];
  r.scores.resize(D);
  for (size_t d = 0; d < D; ++d) r.scores[d] = ic.found[d]->score;
  r.matched.assign(kThresholds * D, 0);
  r.ignored.assign(kThresholds * D, 0);
  std::vector<char> taken(G);
  for (int t = 0; t < kThresholds; ++t) {
    std::fill(taken.begin(), taken.end(), 0);
    for (size_t d = 0; G > 0 && d < D; ++d) {
      double best = std::min(kIouThresholds[t], 1 - 1e-10);
      int64_t m = -1;
      for (size_t k = 0; k < G; ++k) {
        const size_t g = order[k];
        if (taken[g] && !ic.truth[g]->crowd) continue;
        if (m > -1 && !ignore[m] && ignore[g]) break;  // matched a real object: the ignored ones come after
        const double iou = ic.iou[d * G + g];
        if (iou < best) continue;
        best = iou;
        m = static_cast<int64_t>(g);
      }
      if (m == -1) continue;
      r.matched[t * D + d] = 1;
      r.ignored[t * D + d] = ignore[m];
      taken[m] = 1;
    }
    for (size_t d = 0; d < D; ++d) {  // an unmatched detection outside the range is no false positive
      const CocoBox b = coco_numbers(ic.found[d]->box, ic.found[d]->coco_box);
      const double area = b.width * b.height;  // loadRes' area
      if (!r.matched[t * D + d] && (area < range[0] || area > range[1])) r.ignored[t * D + d] = 1;
    }
  }
  return r;
}

}  // namespace

CocoEvaluation evaluate_coco(const Dataset& ground_truth, const std::vector<Detection>& detections) {
  const size_t K = ground_truth.classes.size();
  // Images in increasing COCO id, as pycocotools orders them (it decides the order of tied scores).
  const std::vector<int64_t> ids = coco_image_ids(ground_truth);
  std::vector<size_t> images(ids.size());
  std::iota(images.begin(), images.end(), 0);
  std::sort(images.begin(), images.end(), [&](size_t a, size_t b) { return ids[a] < ids[b]; });
  std::map<std::string, size_t> item_of;
  for (size_t i = 0; i < ground_truth.items.size(); ++i) item_of[ground_truth.items[i].id] = i;

  // Each image's ground truth and detections per class.
  std::vector<ImageClass> cells(ground_truth.items.size() * K);
  for (size_t i = 0; i < ground_truth.items.size(); ++i)
    for (const Object& o : ground_truth.items[i].objects) cells[i * K + static_cast<size_t>(o.label)].truth.push_back(&o);
  for (const Detection& d : detections) {
    const auto it = item_of.find(d.image_id);
    check(it != item_of.end(), "evaluate_coco: a detection names image '", d.image_id, "', which ", ground_truth.name,
          " does not have");
    check(d.label >= 0 && static_cast<size_t>(d.label) < K, "evaluate_coco: a detection of image '", d.image_id,
          "' has label ", d.label, " of ", K, " classes");
    cells[it->second * K + static_cast<size_t>(d.label)].found.push_back(&d);
  }
  for (ImageClass& c : cells) {
    std::stable_sort(c.found.begin(), c.found.end(), [](const Detection* a, const Detection* b) { return a->score > b->score; });
    if (c.found.size() > static_cast<size_t>(kMaxDet[kMaxDets - 1])) c.found.resize(kMaxDet[kMaxDets - 1]);
    c.iou.resize(c.found.size() * c.truth.size());
    std::vector<CocoBox> truth;
    for (const Object* o : c.truth) truth.push_back(coco_numbers(o->box, o->coco_box));
    for (size_t d = 0; d < c.found.size(); ++d) {
      const CocoBox found = coco_numbers(c.found[d]->box, c.found[d]->coco_box);
      for (size_t g = 0; g < c.truth.size(); ++g) c.iou[d * c.truth.size() + g] = coco_iou(found, truth[g], c.truth[g]->crowd);
    }
  }

  // precision[t][r][k][a][m] and recall[t][k][a][m], -1 where a class has no ground truth in a range.
  auto p_at = [&](int t, int r, size_t k, int a, int m) { return (((t * kRecalls + r) * K + k) * kAreas + a) * kMaxDets + m; };
  auto r_at = [&](int t, size_t k, int a, int m) { return ((t * K + k) * kAreas + a) * kMaxDets + m; };
  std::vector<double> precision(kThresholds * kRecalls * K * kAreas * kMaxDets, -1.0);
  std::vector<double> recall(kThresholds * K * kAreas * kMaxDets, -1.0);
  std::vector<ImageResult> results(images.size());
  std::vector<std::pair<size_t, size_t>> pooled;  // (image, detection) in decreasing score
  std::vector<double> tp, fp, rc, pr;
  for (size_t k = 0; k < K; ++k) {
    for (int a = 0; a < kAreas; ++a) {
      int64_t positives = 0;
      for (size_t n = 0; n < images.size(); ++n) {
        results[n] = evaluate_image(cells[images[n] * K + k], kArea[a]);
        positives += results[n].positives;
      }
      if (positives == 0) continue;
      for (int m = 0; m < kMaxDets; ++m) {
        pooled.clear();
        for (size_t n = 0; n < images.size(); ++n)
          for (size_t d = 0; d < std::min(results[n].scores.size(), static_cast<size_t>(kMaxDet[m])); ++d) pooled.push_back({n, d});
        std::stable_sort(pooled.begin(), pooled.end(), [&](const auto& x, const auto& y) {
          return results[x.first].scores[x.second] > results[y.first].scores[y.second];
        });
        const size_t nd = pooled.size();
        for (int t = 0; t < kThresholds; ++t) {
          tp.resize(nd);
          fp.resize(nd);
          rc.resize(nd);
          pr.resize(nd);
          double tps = 0, fps = 0;
          for (size_t j = 0; j < nd; ++j) {
            const ImageResult& e = results[pooled[j].first];
            const size_t at = t * e.scores.size() + pooled[j].second;
            if (!e.ignored[at]) (e.matched[at] ? tps : fps) += 1;
            tp[j] = tps;
            fp[j] = fps;
          }
          // Recall and precision after each detection, the precision made monotone from the right.
          for (size_t j = 0; j < nd; ++j) {
            rc[j] = tp[j] / static_cast<double>(positives);
            pr[j] = tp[j] / (fp[j] + tp[j] + 2.220446049250313e-16);  // numpy's spacing(1)
          }
          recall[r_at(t, k, a, m)] = nd > 0 ? rc[nd - 1] : 0;
          for (size_t j = nd; j-- > 1;)
            if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
          for (int r = 0; r < kRecalls; ++r) {
            const size_t j = static_cast<size_t>(std::lower_bound(rc.begin(), rc.end(), kRecallPoints[r]) - rc.begin());
            precision[p_at(t, r, k, a, m)] = j < nd ? pr[j] : 0;
          }
        }
      }
    }
  }

  // The mean of what is not -1 over the selected thresholds (-1: every one), all classes and recall points.
  auto mean_precision = [&](int only_t, int a, int m, int64_t only_k) {
    double sum = 0;
    int64_t count = 0;
    for (int t = 0; t < kThresholds; ++t)
      for (int r = 0; r < kRecalls; ++r)
        for (size_t k = 0; k < K; ++k) {
          if ((only_t >= 0 && t != only_t) || (only_k >= 0 && k != static_cast<size_t>(only_k))) continue;
          const double v = precision[p_at(t, r, k, a, m)];
          if (v > -1) sum += v, ++count;
        }
    return count > 0 ? sum / count : -1.0;
  };
  auto mean_recall = [&](int a, int m) {
    double sum = 0;
    int64_t count = 0;
    for (int t = 0; t < kThresholds; ++t)
      for (size_t k = 0; k < K; ++k) {
        const double v = recall[r_at(t, k, a, m)];
        if (v > -1) sum += v, ++count;
      }
    return count > 0 ? sum / count : -1.0;
  };
  CocoEvaluation e;
  const int all = 0, last = kMaxDets - 1;
  e.stats = {mean_precision(-1, all, last, -1), mean_precision(0, all, last, -1), mean_precision(5, all, last, -1),
             mean_precision(-1, 1, last, -1),   mean_precision(-1, 2, last, -1),  mean_precision(-1, 3, last, -1),
             mean_recall(all, 0),               mean_recall(all, 1),              mean_recall(all, last),
             mean_recall(1, last),              mean_recall(2, last),             mean_recall(3, last)};
  for (size_t k = 0; k < K; ++k) e.class_ap.push_back(mean_precision(-1, all, last, static_cast<int64_t>(k)));
  return e;
}

std::string format_coco_evaluation(const CocoEvaluation& e) {
  std::string out;
  for (int i = 0; i < 12; ++i) {
    const bool ap = i < 6;
    const char* iou = i == 1 ? "0.50" : i == 2 ? "0.75" : "0.50:0.95";
    const int area = i < 3 ? 0 : i < 6 ? i - 2 : i < 9 ? 0 : i - 8;
    const int max_det = i == 6 ? 1 : i == 7 ? 10 : 100;
    char line[128];
    std::snprintf(line, sizeof line, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n",
                  ap ? "Average Precision" : "Average Recall", ap ? "(AP)" : "(AR)", iou, kAreaName[area], max_det, e.stats[i]);
    out += line;
  }
  return out;
}

void write_coco_results(const std::string& path, const Dataset& ground_truth, const std::vector<Detection>& detections) {
  const std::vector<int64_t> ids = coco_image_ids(ground_truth);
  std::map<std::string, int64_t> id_of;
  for (size_t i = 0; i < ids.size(); ++i) id_of[ground_truth.items[i].id] = ids[i];
  nlohmann::json results = nlohmann::json::array();
  for (const Detection& d : detections) {
    const CocoBox b = coco_numbers(d.box, d.coco_box);
    results.push_back({{"image_id", id_of.at(d.image_id)},
                       {"category_id", coco_category_id(ground_truth, d.label)},
                       {"bbox", {b.x, b.y, b.width, b.height}},
                       {"score", d.score}});
  }
  const std::filesystem::path file(path);
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  std::ofstream out(path);
  out << results.dump() << "\n";
  check(out.good(), "write_coco_results: cannot write ", path);
}

std::vector<Detection> read_coco_results(const std::string& path, const Dataset& ground_truth) {
  std::ifstream in(path, std::ios::binary);
  check(in.good(), "read_coco_results: cannot open ", path);
  const nlohmann::json root =
      parse_json(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()), path, "read_coco_results");
  const JsonFields f{path, "read_coco_results"};
  if (!root.is_array()) f.fail("the top level", "is " + JsonFields::shown(root) + ", not a list of detections");
  const std::vector<int64_t> ids = coco_image_ids(ground_truth);
  std::map<int64_t, size_t> item_of;
  for (size_t i = 0; i < ids.size(); ++i) item_of[ids[i]] = i;
  std::map<int64_t, int64_t> label_of;
  for (size_t k = 0; k < ground_truth.classes.size(); ++k) label_of[coco_category_id(ground_truth, static_cast<int64_t>(k))] = k;
  std::vector<Detection> detections;
  int64_t unknown_category = 0;
  for (size_t i = 0; i < root.size(); ++i) {
    const std::string where = json_at("results", i);
    const int64_t image = f.integer(root[i], "image_id", where), category = f.integer(root[i], "category_id", where);
    const auto item = item_of.find(image);
    if (item == item_of.end()) f.fail(where + ".image_id", concat_message(image, " is not an image of ", ground_truth.name));
    const CocoBox b = f.coco_box(root[i], where);
    const double score = f.number(f.member(root[i], "score", where), where + ".score");
    const auto label = label_of.find(category);
    if (label == label_of.end()) {
      ++unknown_category;
      continue;
    }
    detections.push_back({ground_truth.items[item->second].id, label->second, score, from_coco_box(b), b});
  }
  if (unknown_category > 0)
    std::cerr << "warning: " << path << ": " << unknown_category << " detections of categories " << ground_truth.name
              << " does not have, left out\n";
  return detections;
}

}  // namespace rcnn
