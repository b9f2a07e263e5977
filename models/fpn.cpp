#include "models/fpn.h"

#include <cmath>
#include <string>

#include "layers/init.h"
#include "layers/pool2d.h"
#include "layers/upsample.h"
#include "ops/ops.h"

namespace rcnn::models {

namespace {

std::shared_ptr<nn::Sequential> conv_block(int64_t in, int64_t out, int64_t kernel, Generator& gen) {
  auto conv = std::make_shared<nn::Conv2d>(in, out, kernel, Conv2dOptions{1, (kernel - 1) / 2}, true, gen);
  const double bound = std::sqrt(3.0 / static_cast<double>(in * kernel * kernel));  // Kaiming-uniform, a = 1
  uniform_(conv->weight, -bound, bound, gen);
  return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<Layer>>{conv});
}

}  // namespace

FeaturePyramidNetwork::FeaturePyramidNetwork(const std::vector<int64_t>& in_channels, int64_t channels, Generator& gen)
    : inner_blocks(register_module("inner_blocks", std::make_shared<nn::Sequential>())),
      layer_blocks(register_module("layer_blocks", std::make_shared<nn::Sequential>())) {
  check(!in_channels.empty() && channels > 0, "FeaturePyramidNetwork: needs input levels and a width");
  for (int64_t in : in_channels) {
    inner_blocks->push_back(conv_block(in, channels, 1, gen));
    layer_blocks->push_back(conv_block(channels, channels, 3, gen));
  }
}

std::vector<Tensor> FeaturePyramidNetwork::forward(const std::vector<Tensor>& maps) {
  const size_t L = inner_blocks->size();
  check(maps.size() == L, "FeaturePyramidNetwork: ", maps.size(), " maps for ", L, " levels");
  std::vector<Tensor> out(L + 1);
  Tensor top_down = inner_blocks->layers()[L - 1]->forward(maps[L - 1]);
  out[L - 1] = layer_blocks->layers()[L - 1]->forward(top_down);
  for (size_t l = L - 1; l-- > 0;) {
    const Tensor lateral = inner_blocks->layers()[l]->forward(maps[l]);
    top_down = lateral + upsample_nearest(top_down, lateral.size(2), lateral.size(3));
    out[l] = layer_blocks->layers()[l]->forward(top_down);
  }
  out[L] = max_pool2d(out[L - 1], {1, 2, 0, false});  // torchvision's LastLevelMaxPool
  return out;
}

BackboneWithFpn::BackboneWithFpn(std::shared_ptr<Backbone> body_, const std::vector<int64_t>& strides, int64_t channels,
                                 Generator& gen)
    : Backbone(channels, strides.empty() ? 0 : strides[0]), body(register_module("body", std::move(body_))) {
  std::string offered;
  for (const Tap& t : body->taps) offered += (offered.empty() ? "" : ", ") + std::to_string(t.stride);
  check(!body->taps.empty(), "a feature pyramid needs a backbone whose stage ends it can read; this one has none");
  check(!strides.empty(), "a feature pyramid needs at least one level");
  std::vector<int64_t> in_channels;
  for (int64_t s : strides) {
    size_t i = 0;
    while (i < body->taps.size() && body->taps[i].stride != s) ++i;
    check(i < body->taps.size(), "a feature pyramid level of stride ", s, ": the backbone's stages end at strides ",
          offered);
    check(levels.empty() || i > levels.back(), "a feature pyramid's levels must ascend in stride");
    levels.push_back(i);
    level_strides.push_back(s);
    in_channels.push_back(body->taps[i].channels);
  }
  fpn = register_module("fpn", std::make_shared<FeaturePyramidNetwork>(in_channels, channels, gen));
}

std::vector<Tensor> BackboneWithFpn::forward_maps(const Tensor& x) {
  const std::vector<Tensor> taps_out = body->forward_taps(x);
  std::vector<Tensor> maps;
  for (size_t i : levels) maps.push_back(taps_out[i]);
  return fpn->forward(maps);
}

std::vector<int64_t> BackboneWithFpn::map_strides() const {
  std::vector<int64_t> s = level_strides;
  s.push_back(2 * level_strides.back());
  return s;
}

}  // namespace rcnn::models
