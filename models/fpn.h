#pragma once
// Feature Pyramid Network (Lin et al. 2017, section 3): a backbone's stage ends C_l (strides 4 to 32)
// turned into maps P_l of one width, each as deep in meaning as the coarsest. Per level a 1x1 lateral
// conv to `channels`; top-down from the coarsest, the coarser result upsampled by nearest neighbour to
// the lateral's exact size (not x2, so odd sizes work) and added; then a 3x3 conv per level against the
// upsampling's aliasing. One extra level `pool`, every second pixel of the last (max-pool k1 s2), serves
// the RPN's largest anchors (the paper's P6). Names and initialisation as torchvision's
// FeaturePyramidNetwork (inner_blocks.i.0, layer_blocks.i.0, Kaiming-uniform a = 1, biases 0).
#include <memory>
#include <vector>

#include "core/rng.h"
#include "layers/modules.h"
#include "models/backbone.h"

namespace rcnn::models {

class FeaturePyramidNetwork : public Module {
 public:
  FeaturePyramidNetwork(const std::vector<int64_t>& in_channels, int64_t channels, Generator& gen);
  // maps: C_l finest first -> P_l finest first, then the pool level.
  std::vector<Tensor> forward(const std::vector<Tensor>& maps);
  // Used as lists (torchvision's ModuleLists), each entry a one-conv Sequential (its Conv2dNormActivation).
  std::shared_ptr<nn::Sequential> inner_blocks, layer_blocks;
};

// A backbone's taps at `strides` through a pyramid: torchvision's BackboneWithFPN (body, fpn), so
// fasterrcnn_resnet50_fpn's weights load by name. forward() gives the finest level.
class BackboneWithFpn : public Backbone {
 public:
  BackboneWithFpn(std::shared_ptr<Backbone> body, const std::vector<int64_t>& strides, int64_t channels, Generator& gen);
  Tensor forward(const Tensor& x) override { return forward_maps(x)[0]; }
  std::vector<Tensor> forward_maps(const Tensor& x) override;
  std::vector<int64_t> map_strides() const override;
  int64_t size_divisible() const override { return level_strides.back(); }  // the coarsest tap's

  std::shared_ptr<Backbone> body;
  std::shared_ptr<FeaturePyramidNetwork> fpn;
  std::vector<size_t> levels;  // which of body's taps the pyramid reads

 private:
  std::vector<int64_t> level_strides;  // their strides
};

}  // namespace rcnn::models
