#include "detection/voc_eval.h"

#include "datasets/text.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "datasets/draw.h"
#include "datasets/generated.h"
#include "datasets/voc.h"

namespace rcnn {

namespace fs = std::filesystem;

double voc_iou(const Box& a, const Box& b) {
  // In VOC pixels, as the devkit computes it; its widths xmax - xmin + 1 equal x2 - x1.
  const auto [ax1, ay1, ax2, ay2] = to_voc_pixels(a);
  const auto [bx1, by1, bx2, by2] = to_voc_pixels(b);
  const double iw = std::min(ax2, bx2) - std::max(ax1, bx1) + 1, ih = std::min(ay2, by2) - std::max(ay1, by1) + 1;
  if (iw <= 0 || ih <= 0) return 0;
  const double inter = iw * ih;
  const double uni = (ax2 - ax1 + 1) * (ay2 - ay1 + 1) + (bx2 - bx1 + 1) * (by2 - by1 + 1) - inter;
  return inter / uni;
}

namespace {

// The precision envelope: at each point the best precision at this recall or beyond (the precision
// made monotone from the right), which VOC's AP reads and the PR plot draws.
std::vector<double> precision_envelope(std::vector<double> precision) {
  for (size_t i = precision.size(); i-- > 1;) precision[i - 1] = std::max(precision[i - 1], precision[i]);
  return precision;
}

// AP from the precision/recall after each detection (voc_ap in voc_eval.py).
double average_precision(const std::vector<double>& rec, const std::vector<double>& prec, bool use_07_metric) {
  if (use_07_metric) {  // 11 points: the best precision at recall >= t, t = 0, 0.1, ..., 1
    double ap = 0;
    for (int i = 0; i <= 10; ++i) {
      // i * 0.1, not i / 10.0: the reference iterates np.arange(0., 1.1, 0.1), whose 0.3, 0.6 and 0.7
      // are 0.30000000000000004, 0.6000000000000001 and 0.7000000000000001, so a recall of exactly
      // 3/5 does not reach the 0.6 point there; neither may it here.
      const double t = i * 0.1;
      double p = 0;
      for (size_t k = 0; k < rec.size(); ++k)
        if (rec[k] >= t) p = std::max(p, prec[k]);
      ap += p / 11;
    }
    return ap;
  }
  // The area under the precision envelope, the curve padded to recall 0 and 1.
  std::vector<double> mrec{0}, mpre{0};
  mrec.insert(mrec.end(), rec.begin(), rec.end());
  mpre.insert(mpre.end(), prec.begin(), prec.end());
  mrec.push_back(1);
  mpre.push_back(0);
  mpre = precision_envelope(std::move(mpre));
  double ap = 0;
  for (size_t i = 1; i < mrec.size(); ++i)
    if (mrec[i] != mrec[i - 1]) ap += (mrec[i] - mrec[i - 1]) * mpre[i];
  return ap;
}

}  // namespace

VocEvaluation evaluate_voc(const Dataset& gt, const std::vector<Detection>& detections, bool use_07_metric,
                           double iou_threshold) {
  std::map<std::string, const Annotation*> by_id;
  for (const Annotation& a : gt.items) by_id[a.id] = &a;
  const int64_t n_classes = static_cast<int64_t>(gt.classes.size());
  for (const Detection& d : detections) {
    check(d.label >= 0 && d.label < n_classes, "evaluate_voc: detection of class ", d.label, " in image '",
          d.image_id, "', the data set has ", n_classes, " classes");
    check(by_id.count(d.image_id) > 0, "evaluate_voc: detection in image '", d.image_id,
          "', which is not in the ground truth");
  }
  VocEvaluation result;
  result.verdicts.assign(detections.size(), Verdict::FalsePositive);
  double sum = 0;
  int counted = 0;
  for (int64_t c = 0; c < n_classes; ++c) {
    ClassAP r;
    r.name = gt.classes[c];
    // Per image: this class's boxes, difficult flags and whether each was already matched.
    struct Truth {
      std::vector<Box> boxes;
      std::vector<bool> difficult, matched;
    };
    std::map<std::string, Truth> truth;
    for (const Annotation& a : gt.items)
      for (const Object& o : a.objects)
        if (o.label == c) {
          Truth& t = truth[a.id];
          t.boxes.push_back(o.box);
          t.difficult.push_back(o.difficult || o.crowd);  // a COCO crowd region counts as VOC's difficult
          t.matched.push_back(false);
          r.positives += !(o.difficult || o.crowd);
        }
    std::vector<const Detection*> dets;
    for (const Detection& d : detections)
      if (d.label == c) dets.push_back(&d);
    auto verdict = [&](const Detection* d) -> Verdict& { return result.verdicts[d - detections.data()]; };
    std::stable_sort(dets.begin(), dets.end(), [](const Detection* a, const Detection* b) { return a->score > b->score; });
    r.detections = static_cast<int64_t>(dets.size());
    double tp = 0, fp = 0;
    for (const Detection* d : dets) {
      auto it = truth.find(d->image_id);
      double best = -1;
      size_t best_k = 0;
      if (it != truth.end())
        for (size_t k = 0; k < it->second.boxes.size(); ++k) {
          const double iou = voc_iou(d->box, it->second.boxes[k]);
          if (iou > best) best = iou, best_k = k;
        }
      if (best > iou_threshold) {
        Truth& t = it->second;
        if (t.difficult[best_k]) {  // neither true nor false positive: no point on the curve
          verdict(d) = Verdict::Ignored;
          continue;
        }
        if (!t.matched[best_k]) {
          t.matched[best_k] = true;
          verdict(d) = Verdict::TruePositive;
          ++tp;
        } else {
          ++fp;  // a duplicate
        }
      } else {
        ++fp;
      }
      r.recall.push_back(r.positives > 0 ? tp / r.positives : 0);
      r.precision.push_back(tp / std::max(tp + fp, 1e-12));
    }
    r.ap = average_precision(r.recall, r.precision, use_07_metric);
    if (r.positives > 0) sum += r.ap, ++counted;
    result.classes.push_back(std::move(r));
  }
  result.map = counted > 0 ? sum / counted : 0;
  return result;
}

std::string format_evaluation(const VocEvaluation& e) {
  std::ostringstream os;
  char line[128];
  std::snprintf(line, sizeof line, "%-14s %8s %10s %8s\n", "class", "objects", "detections", "AP");
  os << line;
  size_t scored = 0;
  for (const ClassAP& c : e.classes) {
    // A class without objects in the split has no AP (it is not 0), and the mean leaves it out.
    if (c.positives > 0) {
      ++scored;
      std::snprintf(line, sizeof line, "%-14s %8lld %10lld %8.4f\n", c.name.c_str(), static_cast<long long>(c.positives),
                    static_cast<long long>(c.detections), c.ap);
    } else {
      std::snprintf(line, sizeof line, "%-14s %8lld %10lld %8s (no objects)\n", c.name.c_str(), 0LL,
                    static_cast<long long>(c.detections), "-");
    }
    os << line;
  }
  std::snprintf(line, sizeof line, "mAP@0.5: %.4f", e.map);
  os << line;
  if (scored < e.classes.size()) os << " (the mean over the " << scored << " of " << e.classes.size() << " classes with objects)";
  os << "\n";
  return os.str();
}

std::string class_file_name(const std::string& class_name) {
  std::string name = class_name;
  std::replace(name.begin(), name.end(), '/', '_');
  return name;
}

std::string voc_results_file(const std::string& split, const std::string& class_name) {
  return "comp4_det_" + split + "_" + class_file_name(class_name) + ".txt";
}

void save_precision_recall_plots(const VocEvaluation& e, const std::string& dir) {
  fs::create_directories(dir);
  for (const ClassAP& c : e.classes) save_png(precision_recall_plot(c), (fs::path(dir) / ("pr_" + class_file_name(c.name) + ".png")).string());
}

void write_voc_results(const std::string& dir, const std::string& split, const std::vector<std::string>& classes,
                       const std::vector<Detection>& detections) {
  fs::create_directories(dir);
  for (size_t c = 0; c < classes.size(); ++c) {
    const fs::path path = fs::path(dir) / voc_results_file(split, classes[c]);
    FILE* f = std::fopen(path.c_str(), "w");
    check(f != nullptr, "write_voc_results: cannot write ", path.string());
    for (const Detection& d : detections)
      if (d.label == static_cast<int64_t>(c)) {  // VOC's 1-based pixels, as the devkit reads them
        const VocPixels p = to_voc_pixels(d.box);
        std::fprintf(f, "%s %s %s %s %s %s\n", d.image_id.c_str(), shortest(d.score).c_str(), shortest(p.xmin).c_str(),
                     shortest(p.ymin).c_str(), shortest(p.xmax).c_str(), shortest(p.ymax).c_str());
      }
    check(std::fclose(f) == 0, "write_voc_results: cannot write ", path.string());
  }
}

std::vector<Detection> read_voc_results(const std::string& dir, const std::string& split,
                                        const std::vector<std::string>& classes) {
  std::vector<Detection> out;
  for (size_t c = 0; c < classes.size(); ++c) {
    const fs::path path = fs::path(dir) / voc_results_file(split, classes[c]);
    std::ifstream in(path);
    check(in.good(), "read_voc_results: cannot open ", path.string());
    int line_number = 0;
    for (std::string line; std::getline(in, line);) {
      ++line_number;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      std::istringstream fields(line);
      Detection d;
      VocPixels p;
      check(static_cast<bool>(fields >> d.image_id >> d.score >> p.xmin >> p.ymin >> p.xmax >> p.ymax),
            "read_voc_results: ", path.string(), ":", line_number,
            ": expected `<id> <score> <xmin> <ymin> <xmax> <ymax>`, got '", line, "'");
      d.label = static_cast<int64_t>(c);
      d.box = from_voc_pixels(p);
      out.push_back(d);
    }
  }
  return out;
}

Image precision_recall_plot(const ClassAP& r) {
  char title[96];
  std::snprintf(title, sizeof title, "%s: AP %.3f", r.name.c_str(), r.ap);
  // AP is read from the envelope, the best precision at this recall or beyond, not from the raw
  // precision that dips after each false positive: both are drawn.
  return line_plot({{"precision", r.recall, r.precision, palette(2)},
                    {"interpolated (AP)", r.recall, precision_envelope(r.precision), palette(0)}},
                   title, "recall", "precision", 480, 360, PlotLimits{0, 1, 0, 1.05});
}

}  // namespace rcnn
