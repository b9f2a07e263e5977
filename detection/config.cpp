#include "detection/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "core/spelling.h"

#include "core/error.h"
#include "datasets/text.h"

namespace rcnn {

namespace {

// Every key of the config, with its range, in the order of the preset files. One list serves reading,
// writing and checking, so a new hyper-parameter is one line here.
template <class Visitor>
void visit(DetectorConfig& c, Visitor& v) {
  const double inf = 1e300;
  v("mode", c.mode, {"faster_rcnn", "rpn"});
  v("input.shorter_side", c.input.shorter_side, 16, 4096);
  v("input.longer_side", c.input.longer_side, 16, 8192);
  v("input.flip", c.input.flip);
  v("backbone.name", c.backbone.name, {"tiny", "vgg16", "mobilenet_v2", "resnet50_c4", "resnet50"});
  v("backbone.width_divisor", c.backbone.width_divisor, 1, 64);
  v("backbone.stride", c.backbone.stride, 0, 64);
  v("backbone.frozen_convs", c.backbone.frozen_convs, 0, 1000);
  v("backbone.weights", c.backbone.weights);
  v("backbone.fpn_levels", c.backbone.fpn_levels, 2, 1024);
  v("backbone.fpn_channels", c.backbone.fpn_channels, 1, 4096);
  v("anchors.sizes", c.anchors.sizes, 1, 4096);
  v("anchors.ratios", c.anchors.ratios, 0.01, 100);
  v("anchors.stride", c.anchors.stride, 1, 256);
  RpnTargetOptions& rt = c.rpn.targets;
  v("rpn.channels", c.rpn.channels, 1, 4096);
  v("rpn.fg_iou", rt.matcher.fg_iou, 0, 1);
  v("rpn.bg_iou", rt.matcher.bg_iou, 0, 1);
  v("rpn.match_best_of_each_truth", rt.matcher.match_best_of_each_truth);
  v("rpn.batch_size", rt.batch_size, 1, 1e6);
  v("rpn.positive_fraction", rt.positive_fraction, 0, 1);
  v("rpn.allowed_border", rt.allowed_border, 0, inf);
  v("rpn.box_stds", rt.coding.stds, 1e-6, inf);
  v("rpn.pre_nms_top_n_train", c.rpn.train.pre_nms_top_n, 1, 1e7);
  v("rpn.post_nms_top_n_train", c.rpn.train.post_nms_top_n, 1, 1e7);
  v("rpn.pre_nms_top_n_test", c.rpn.test.pre_nms_top_n, 1, 1e7);
  v("rpn.post_nms_top_n_test", c.rpn.test.post_nms_top_n, 1, 1e7);
  v("rpn.nms_threshold", c.rpn.train.nms_threshold, 0, 1);
  v("rpn.min_size", c.rpn.train.min_size, 0, inf);
  v("rpn.class_weight", c.rpn.class_weight, 0, inf);
  v("rpn.box_weight", c.rpn.box_weight, 0, inf);
  v("rpn.sigma", c.rpn.sigma, 1e-6, inf);
  v("roi.method", c.roi.method, {"pool", "align", "crop_and_resize"});
  v("roi.size", c.roi.align.output_size, 1, 64);
  v("roi.sampling_ratio", c.roi.align.sampling_ratio, 0, 16);
  v("roi.aligned", c.roi.align.aligned);
  RcnnTargetOptions& ht = c.rcnn.targets;
  v("rcnn.hidden", c.rcnn.hidden, 1, 65536);
  v("rcnn.dropout", c.rcnn.dropout, 0, 0.99);
  v("rcnn.fg_iou", ht.fg_iou, 0, 1);
  v("rcnn.bg_iou_lo", ht.bg_iou_lo, 0, 1);
  v("rcnn.batch_size", ht.batch_size, 1, 1e6);
  v("rcnn.positive_fraction", ht.positive_fraction, 0, 1);
  v("rcnn.box_stds", ht.coding.stds, 1e-6, inf);
  v("rcnn.class_weight", c.rcnn.class_weight, 0, inf);
  v("rcnn.box_weight", c.rcnn.box_weight, 0, inf);
  v("rcnn.sigma", c.rcnn.sigma, 1e-6, inf);
  v("test.score_threshold", c.test.score_threshold, 0, 1);
  v("test.nms_threshold", c.test.nms_threshold, 0, 1);
  v("test.max_per_image", c.test.max_per_image, 0, 1e6);
  v("test.max_per_class", c.test.max_per_class, 0, 1e6);
  v("test.min_size", c.test.min_size, 0, 1e6);
  SolverConfig& s = c.train;
  v("train.lr", s.lr, 0, inf);
  v("train.momentum", s.momentum, 0, 1);
  v("train.weight_decay", s.weight_decay, 0, inf);
  v("train.bias_lr_factor", s.bias_lr_factor, 0, inf);
  v("train.bias_weight_decay", s.bias_weight_decay);
  v("train.iterations", s.iterations, 1, 1e9);
  v("train.images_per_step", s.images_per_step, 1, 4096);
  v("train.batch_mode", s.batch_mode, {"accumulate", "padded"});
  v("train.keep_empty_images", s.keep_empty_images);
  v("train.collective_timeout_s", s.collective_timeout_s, 0.001, 1e6);
  v("train.milestones", s.milestones, 1, 1e9);
  v("train.gamma", s.gamma, 0, inf);
  v("train.warmup_iterations", s.warmup_iterations, 0, 1e9);
  v("train.warmup_factor", s.warmup_factor, 0, 1);
  v("train.max_grad_norm", s.max_grad_norm, 0, inf);
  v("train.checkpoint_every", s.checkpoint_every, 1, 1e9);
  v("train.log_every", s.log_every, 1, 1e9);
  v("train.seed", s.seed, 0, 9e15);
}

std::string text(int64_t x) { return std::to_string(x); }
std::string text(double x) { return shortest(x); }
template <class T, class Container>
std::string list_text(const Container& xs) {
  std::string s = "[";
  for (const T& x : xs) s += (s.size() > 1 ? ", " : "") + text(x);
  return s + "]";
}

class Writer {
 public:
  void operator()(const std::string& key, std::string& x, std::vector<std::string> = {}) {
    put(key, x.empty() ? "\"\"" : x);
  }
  void operator()(const std::string& key, bool& x) { put(key, x ? "true" : "false"); }
  void operator()(const std::string& key, int64_t& x, double, double) { put(key, text(x)); }
  void operator()(const std::string& key, double& x, double, double) { put(key, text(x)); }
  void operator()(const std::string& key, std::vector<double>& x, double, double) { put(key, list_text<double>(x)); }
  void operator()(const std::string& key, std::vector<int64_t>& x, double, double) { put(key, list_text<int64_t>(x)); }
  void operator()(const std::string& key, std::array<double, 4>& x, double, double) { put(key, list_text<double>(x)); }
  std::string str() const { return out_.str(); }
  std::vector<std::pair<std::string, std::string>> pairs;  // (key, value text), in order

 private:
  void put(const std::string& key, const std::string& value) {
    pairs.emplace_back(key, value);
    const size_t dot = key.find('.');
    if (dot == std::string::npos) {
      out_ << key << ": " << value << "\n";
      return;
    }
    const std::string section = key.substr(0, dot);
    if (section != section_) out_ << "\n" << section << ":\n";
    section_ = section;
    out_ << "  " << key.substr(dot + 1) << ": " << value << "\n";
  }
  std::ostringstream out_;
  std::string section_;
};

class Reader {
 public:
  // values: the dotted key of every leaf, and where it came from (the file or --set).
  struct Value {
    YAML::Node node;
    std::string source;
  };
  explicit Reader(std::map<std::string, Value> values) : values_(std::move(values)) {}

  void operator()(const std::string& key, std::string& x, std::vector<std::string> choices = {}) {
    if (!take(key)) return;
    x = current_.node.IsNull() ? std::string() : as<std::string>("a string");  // --set backbone.weights= : none
    if (!choices.empty() && std::find(choices.begin(), choices.end(), x) == choices.end()) {
      std::string list;
      for (const std::string& c : choices) list += (list.empty() ? "" : ", ") + c;
      fail("'" + x + "' is not one of " + list);
    }
  }
  void operator()(const std::string& key, bool& x) {
    if (take(key)) x = as<bool>("true or false");
  }
  void operator()(const std::string& key, int64_t& x, double lo, double hi) {
    if (!take(key)) return;
    x = as<int64_t>("an integer");
    in_range(static_cast<double>(x), lo, hi);
  }
  void operator()(const std::string& key, double& x, double lo, double hi) {
    if (!take(key)) return;
    x = as<double>("a number");
    in_range(x, lo, hi);
  }
  template <class T>
  void operator()(const std::string& key, std::vector<T>& x, double lo, double hi) {
    if (!take(key)) return;
    x = as<std::vector<T>>(std::is_integral<T>::value ? "a list of integers" : "a list of numbers");
    for (T e : x) in_range(static_cast<double>(e), lo, hi);
  }
  void operator()(const std::string& key, std::array<double, 4>& x, double lo, double hi) {
    std::vector<double> list(x.begin(), x.end());
    (*this)(key, list, lo, hi);
    if (list.size() != 4) fail("needs 4 numbers (x, y, w, h), got " + std::to_string(list.size()));
    std::copy(list.begin(), list.end(), x.begin());
  }

  // After the visit: what no key took is a typo or a key of another version.
  void check_unknown(const std::vector<std::string>& known) const {
    for (const auto& [key, value] : values_) {
      throw Error(concat_message(value.source, ": unknown key '", key, "'", did_you_mean(key, known)));
    }
  }

 private:
  bool take(const std::string& key) {
    auto it = values_.find(key);
    if (it == values_.end()) return false;
    current_ = it->second;
    key_ = key;
    values_.erase(it);
    return true;
  }
  template <class T>
  T as(const char* what) {
    try {
      return current_.node.as<T>();
    } catch (const YAML::Exception&) {
      YAML::Emitter e;
      e << YAML::Flow << current_.node;
      fail(std::string("'") + e.c_str() + "' is not " + what);
    }
    return T{};
  }
  void in_range(double x, double lo, double hi) {
    if (x >= lo && x <= hi) return;
    fail(concat_message(x, " is out of range [", lo, ", ", hi >= 1e300 ? std::string("inf") : shortest(hi), "]"));
  }
  [[noreturn]] void fail(const std::string& why) const { throw Error(concat_message(current_.source, ": ", key_, ": ", why)); }

  std::map<std::string, Value> values_;
  Value current_;
  std::string key_;
};

struct KeyLister {
  std::vector<std::string> keys;
  void operator()(const std::string& key, std::string&, const std::vector<std::string>& = {}) { keys.push_back(key); }
  template <class... Rest>
  void operator()(const std::string& key, Rest&&...) {
    keys.push_back(key);
  }
};

void flatten(const YAML::Node& node, const std::string& prefix, const std::string& source,
             std::map<std::string, Reader::Value>& out) {
  if (node.IsMap()) {
    for (const auto& entry : node) flatten(entry.second, prefix + (prefix.empty() ? "" : ".") + entry.first.as<std::string>(), source, out);
    return;
  }
  check(!node.IsNull(), source, ": ", prefix, " has no value");
  out[prefix] = {node, source};
}

void check_consistent(const DetectorConfig& c, const std::string& source) {
  auto require = [&](bool ok, auto... message) {
    if (!ok) throw Error(concat_message(source, ": ", message...));
  };
  require(c.input.shorter_side <= c.input.longer_side, "input.shorter_side ", c.input.shorter_side,
          " is above input.longer_side ", c.input.longer_side);
  require(c.rpn.targets.matcher.bg_iou <= c.rpn.targets.matcher.fg_iou, "rpn.bg_iou is above rpn.fg_iou");
  require(c.rcnn.targets.bg_iou_lo <= c.rcnn.targets.fg_iou, "rcnn.bg_iou_lo is above rcnn.fg_iou");
  require(!c.anchors.sizes.empty() && !c.anchors.ratios.empty(), "anchors.sizes and anchors.ratios must not be empty");
  require(std::is_sorted(c.train.milestones.begin(), c.train.milestones.end()), "train.milestones must increase");
}

}  // namespace

DetectorConfig parse_config(const std::string& yaml, const std::string& source, const std::vector<std::string>& overrides) {
  std::map<std::string, Reader::Value> values;
  try {
    const YAML::Node root = YAML::Load(yaml);
    check(root.IsMap() || root.IsNull(), source, ": a config is a map of sections (input:, rpn:, ...)");
    if (root.IsMap()) flatten(root, "", source, values);
    for (const std::string& o : overrides) {
      const size_t eq = o.find('=');
      check(eq != std::string::npos && eq > 0, "--set ", o, ": expected key=value, e.g. rpn.nms_threshold=0.6");
      values[o.substr(0, eq)] = {YAML::Load(o.substr(eq + 1)), "--set " + o};
    }
  } catch (const YAML::Exception& e) {
    throw Error(concat_message(source, ": not valid YAML: ", e.what()));
  }
  DetectorConfig c;
  Reader reader(std::move(values));
  visit(c, reader);
  KeyLister lister;
  visit(c, lister);
  reader.check_unknown(lister.keys);
  // One key sets what several blocks share.
  c.rpn.test.nms_threshold = c.rpn.train.nms_threshold;
  c.rpn.test.min_size = c.rpn.train.min_size;
  c.test.coding = c.rcnn.targets.coding;
  check_consistent(c, source);
  return c;
}

DetectorConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  check(in.good(), "cannot read the config ", path);
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path, overrides);
}

std::string to_yaml(const DetectorConfig& config) {
  DetectorConfig c = config;
  Writer writer;
  visit(c, writer);
  return writer.str();
}

std::vector<std::string> config_differences(const DetectorConfig& a, const DetectorConfig& b) {
  DetectorConfig ca = a, cb = b;
  Writer wa, wb;
  visit(ca, wa);
  visit(cb, wb);
  std::vector<std::string> out;
  for (size_t i = 0; i < wa.pairs.size(); ++i)
    if (wa.pairs[i].second != wb.pairs[i].second)
      out.push_back(wa.pairs[i].first + ": " + wa.pairs[i].second + " vs " + wb.pairs[i].second);
  return out;
}

}  // namespace rcnn
