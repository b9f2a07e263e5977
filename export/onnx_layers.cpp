#include "export/onnx_layers.h"

#include <cmath>
#include <typeinfo>

#include "core/kernels.h"
#include "detection/rcnn_head.h"
#include "models/fpn.h"
#include "models/mobilenet_v2.h"
#include "models/resnet.h"
#include "models/tiny_net.h"
#include "models/vgg16.h"
#include "ops/ops.h"

namespace rcnn::onnx_export {

namespace {

template <class T>
const T* as(const Layer& layer) {
  return dynamic_cast<const T*>(&layer);
}

std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "." + b; }

// A convolution, and the frozen batch norm after it when there is one: y = conv(x) scale + shift with
// scale = weight / sqrt(var + eps), shift = bias - mean scale (FrozenBatchNorm2d::forward), folded into
// one convolution: weights times scale, bias times scale plus shift (computed in float64).
std::string conv(OnnxGraph& g, const nn::Conv2d& c, const nn::FrozenBatchNorm2d* bn, const std::string& x,
                 const std::string& name) {
  g.scope = name;
  const Conv2dOptions& o = c.options;
  Tensor w = c.weight.detach().cpu().to(kFloat64);
  const int64_t K = w.size(0);
  std::vector<double> bias = c.bias.defined() ? c.bias.detach().cpu().to(kFloat64).to_vector<double>()
                                              : std::vector<double>(static_cast<size_t>(K), 0.0);
  if (bn != nullptr) {
    auto values = [](const Tensor& t) { return t.detach().cpu().to(kFloat64).to_vector<double>(); };
    const std::vector<double> gamma = values(bn->weight), beta = values(bn->bias), mean = values(bn->running_mean),
                              var = values(bn->running_var);
    std::vector<double> weights = w.to_vector<double>();
    const size_t per_filter = weights.size() / static_cast<size_t>(K);
    for (size_t k = 0; k < static_cast<size_t>(K); ++k) {
      const double scale = gamma[k] / std::sqrt(var[k] + bn->eps);
      for (size_t i = 0; i < per_filter; ++i) weights[k * per_filter + i] *= scale;
      bias[k] = bias[k] * scale + (beta[k] - mean[k] * scale);
    }
    w = from_vector(weights, w.shape());
  }
  const bool has_bias = c.bias.defined() || bn != nullptr;
  std::vector<std::string> inputs = {x, g.constant(w)};
  if (has_bias) inputs.push_back(g.constant(from_vector(bias, {K})));
  return g.op("Conv", inputs,
              {MakeAttribute("kernel_shape", std::vector<int64_t>{w.size(2), w.size(3)}),
               MakeAttribute("strides", std::vector<int64_t>{o.stride, o.stride}),
               MakeAttribute("pads", std::vector<int64_t>{o.padding, o.padding, o.padding, o.padding}),
               MakeAttribute("dilations", std::vector<int64_t>{o.dilation, o.dilation}),
               MakeAttribute("group", o.groups)});
}

std::string relu(OnnxGraph& g, const std::string& x) { return g.op("Relu", {x}); }

// Layers [begin, end) of a Sequential, named by their indices in it.
std::string sequential(OnnxGraph& g, const nn::Sequential& s, std::string x, const std::string& name, size_t begin,
                       size_t end) {
  const auto& layers = s.layers();
  for (size_t i = begin; i < end; ++i) {
    const std::string child = join(name, std::to_string(i));
    const auto* c = as<nn::Conv2d>(*layers[i]);
    const auto* bn = i + 1 < end ? as<nn::FrozenBatchNorm2d>(*layers[i + 1]) : nullptr;
    if (c != nullptr && bn != nullptr) {
      x = conv(g, *c, bn, x, child);
      ++i;
    } else {
      x = export_layer(g, *layers[i], x, child);
    }
  }
  return x;
}

// Bottleneck::forward.
std::string bottleneck(OnnxGraph& g, const models::Bottleneck& b, const std::string& x, const std::string& name) {
  std::string y = relu(g, conv(g, *b.conv1, b.bn1.get(), x, join(name, "conv1")));
  y = relu(g, conv(g, *b.conv2, b.bn2.get(), y, join(name, "conv2")));
  y = conv(g, *b.conv3, b.bn3.get(), y, join(name, "conv3"));
  const std::string shortcut = b.downsample ? sequential(g, *b.downsample, x, join(name, "downsample"), 0, 2) : x;
  return relu(g, g.op("Add", {y, shortcut}));
}

// ResNet50C4::forward_stages: C2, C3, C4.
std::vector<std::string> resnet_stages(OnnxGraph& g, const models::ResNet50C4& r, const std::string& x, const std::string& name) {
  const std::string stem =
      export_layer(g, *r.maxpool, relu(g, conv(g, *r.conv1, r.bn1.get(), x, join(name, "conv1"))), join(name, "maxpool"));
  const std::string c2 = export_layer(g, *r.layer1, stem, join(name, "layer1"));
  const std::string c3 = export_layer(g, *r.layer2, c2, join(name, "layer2"));
  return {c2, c3, export_layer(g, *r.layer3, c3, join(name, "layer3"))};
}

// A Sequential's outputs at the layers `ends` (forward_ends): stretch after stretch, so that folding
// never joins a conv to a batch norm across an end.
std::vector<std::string> sequential_ends(OnnxGraph& g, const nn::Sequential& s, std::string x, const std::string& name,
                                         const std::vector<size_t>& ends) {
  std::vector<std::string> out;
  size_t begin = 0;
  for (size_t end : ends) {
    x = sequential(g, s, x, name, begin, end + 1);
    out.push_back(x);
    begin = end + 1;
  }
  return out;
}

// Backbone::forward_taps.
std::vector<std::string> taps(OnnxGraph& g, const models::Backbone& b, const std::string& x, const std::string& name) {
  if (const auto* t = dynamic_cast<const models::TinyNet*>(&b)) return sequential_ends(g, *t->body, x, join(name, "body"), t->tap_layers);
  if (const auto* m = dynamic_cast<const models::MobileNetV2*>(&b))
    return sequential_ends(g, *m->features, x, join(name, "features"), m->tap_layers);
  if (const auto* r = dynamic_cast<const models::ResNet50*>(&b)) {  // ResNet50::forward_taps
    std::vector<std::string> stages = resnet_stages(g, *r->c4, x, name);
    stages.push_back(export_layer(g, *r->conv5->layer4, stages.back(), join(name, "layer4")));
    return stages;
  }
  throw Error(concat_message("export: ", name, " (", typeid(b).name(), ") has no stage ends the exporter knows"));
}

// BackboneWithFpn::forward_maps and FeaturePyramidNetwork::forward; `sizes`: its output maps (level l
// has its tap's size: the FPN's convs keep sizes).
std::vector<std::string> pyramid(OnnxGraph& g, const models::BackboneWithFpn& b, const std::string& x, const std::string& name,
                                 const std::vector<Tensor>& sizes) {
  const std::vector<std::string> all = taps(g, *b.body, x, join(name, "body"));
  std::vector<std::string> maps;
  for (size_t i : b.levels) maps.push_back(all[i]);
  const models::FeaturePyramidNetwork& fpn = *b.fpn;
  const std::string prefix = join(name, "fpn");
  const size_t L = maps.size();
  auto inner = [&](size_t l, const std::string& v) {
    return export_layer(g, *fpn.inner_blocks->layers()[l], v, join(prefix, "inner_blocks." + std::to_string(l)));
  };
  auto layer = [&](size_t l, const std::string& v) {
    return export_layer(g, *fpn.layer_blocks->layers()[l], v, join(prefix, "layer_blocks." + std::to_string(l)));
  };
  std::vector<std::string> out(L + 1);
  std::string top_down = inner(L - 1, maps[L - 1]);
  out[L - 1] = layer(L - 1, top_down);
  for (size_t l = L - 1; l-- > 0;) {
    const std::string lateral = inner(l, maps[l]);
    g.scope = join(prefix, "upsample." + std::to_string(l));
    const Tensor& coarse = sizes[l + 1];
    const Tensor& fine = sizes[l];
    top_down = g.op("Add", {lateral, export_upsample_nearest(g, top_down, coarse.size(2), coarse.size(3), fine.size(2),
                                                              fine.size(3))});
    out[l] = layer(l, top_down);
  }
  g.scope = join(prefix, "pool");
  out[L] = g.op("MaxPool", {out[L - 1]},
                {MakeAttribute("kernel_shape", std::vector<int64_t>{1, 1}), MakeAttribute("strides", std::vector<int64_t>{2, 2})});
  return out;
}

}  // namespace

std::string export_upsample_nearest(OnnxGraph& g, const std::string& x, int64_t in_h, int64_t in_w, int64_t height,
                                     int64_t width) {
  auto sources = [](int64_t in, int64_t out) {
    std::vector<int64_t> s;
    for (int64_t i = 0; i < out; ++i) s.push_back(nearest_source(i, in, out));
    return s;
  };
  const std::string rows = g.op("Gather", {x, g.ints(sources(in_h, height))}, {MakeAttribute("axis", int64_t{2})});
  return g.op("Gather", {rows, g.ints(sources(in_w, width))}, {MakeAttribute("axis", int64_t{3})});
}

std::string export_layer(OnnxGraph& g, const Layer& layer, const std::string& x, const std::string& name) {
  g.scope = name;
  if (const auto* s = as<nn::Sequential>(layer)) return sequential(g, *s, x, name, 0, s->size());
  if (const auto* c = as<nn::Conv2d>(layer)) return conv(g, *c, nullptr, x, name);
  if (const auto* bn = as<nn::FrozenBatchNorm2d>(layer)) {  // alone (not after a conv): one scale, one shift
    const Tensor scale = bn->weight.detach().cpu().to(kFloat64) / sqrt(bn->running_var.detach().cpu().to(kFloat64) + bn->eps);
    const Tensor shift = bn->bias.detach().cpu().to(kFloat64) - bn->running_mean.detach().cpu().to(kFloat64) * scale;
    const int64_t C = scale.size(0);
    return g.op("Add", {g.op("Mul", {x, g.constant(reshape(scale, {1, C, 1, 1}))}), g.constant(reshape(shift, {1, C, 1, 1}))});
  }
  if (as<nn::ReLU>(layer)) return relu(g, x);
  if (as<nn::ReLU6>(layer)) return g.op("Clip", {x, g.scalar(0), g.scalar(6)});
  if (as<nn::Identity>(layer) || as<nn::Dropout>(layer)) return x;  // dropout: inference
  if (as<nn::Flatten>(layer)) return g.op("Flatten", {x}, {MakeAttribute("axis", int64_t{1})});
  if (const auto* l = as<nn::Linear>(layer)) {
    std::vector<std::string> inputs = {x, g.constant(l->weight)};
    if (l->bias.defined()) inputs.push_back(g.constant(l->bias));
    return g.op("Gemm", inputs, {MakeAttribute("transB", int64_t{1})});
  }
  if (const auto* p = as<nn::MaxPool2d>(layer)) {
    const MaxPool2dOptions& o = p->options;
    const int64_t stride = o.stride == 0 ? o.kernel : o.stride;
    return g.op("MaxPool", {x},
                {MakeAttribute("kernel_shape", std::vector<int64_t>{o.kernel, o.kernel}),
                 MakeAttribute("strides", std::vector<int64_t>{stride, stride}),
                 MakeAttribute("pads", std::vector<int64_t>{o.padding, o.padding, o.padding, o.padding}),
                 MakeAttribute("ceil_mode", int64_t{o.ceil_mode})});
  }
  if (const auto* b = as<models::InvertedResidual>(layer)) {
    const std::string y = export_layer(g, *b->conv, x, join(name, "conv"));
    g.scope = name;
    return b->residual ? g.op("Add", {x, y}) : y;
  }
  if (const auto* b = as<models::Bottleneck>(layer)) return bottleneck(g, *b, x, name);
  if (const auto* r = as<models::ResNet50C4>(layer)) return resnet_stages(g, *r, x, name).back();
  if (const auto* h = as<models::ResNetConv5Head>(layer)) {  // layer4, then the mean over each map
    const std::string y = export_layer(g, *h->layer4, x, join(name, "layer4"));
    g.scope = name;
    return g.op("ReduceMean", {y}, {MakeAttribute("axes", std::vector<int64_t>{2, 3}), MakeAttribute("keepdims", int64_t{0})});
  }
  if (const auto* r = as<models::ResNet50>(layer))
    return export_layer(g, *r->conv5->layer4, export_layer(g, *r->c4, x, name), join(name, "layer4"));
  if (const auto* t = as<models::TinyNet>(layer)) return export_layer(g, *t->body, x, join(name, "body"));
  if (const auto* v = as<models::VGG16>(layer)) return export_layer(g, *v->features, x, join(name, "features"));
  if (const auto* m = as<models::MobileNetV2>(layer)) return export_layer(g, *m->features, x, join(name, "features"));
  if (const auto* h = as<BoxHead>(layer)) {  // BoxHead::forward (its dropout: inference)
    const std::string flat = g.op("Flatten", {x}, {MakeAttribute("axis", int64_t{1})});
    const std::string y = relu(g, export_layer(g, *h->fc6, flat, join(name, "fc6")));
    return relu(g, export_layer(g, *h->fc7, y, join(name, "fc7")));
  }
  throw Error(concat_message("export: ", name, " is a layer the exporter has no ONNX form for (", typeid(layer).name(), ")"));
}

std::vector<std::string> export_maps(OnnxGraph& g, const models::Backbone& backbone, const std::string& x,
                                     const std::string& name, const std::vector<Tensor>& maps) {
  if (const auto* p = dynamic_cast<const models::BackboneWithFpn*>(&backbone)) return pyramid(g, *p, x, name, maps);
  return {export_layer(g, backbone, x, name)};
}

}  // namespace rcnn::onnx_export
