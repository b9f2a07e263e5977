#include "models/vgg16.h"

#include <vector>

namespace rcnn::models {

std::shared_ptr<nn::Sequential> vgg16_features(int64_t width_divisor, int64_t stride, Generator& gen) {
  check(width_divisor >= 1 && 64 % width_divisor == 0, "vgg16_features: width_divisor ", width_divisor,
        " must divide 64");
  check(stride == 32 || stride == 16 || stride == 8, "VGG16: stride ", stride, " (32, 16 or 8)");
  constexpr int64_t kPool = 0;  // torchvision's 'M'
  const std::vector<int64_t> config = {64,  64,  kPool, 128, 128, kPool, 256, 256, 256, kPool,
                                       512, 512, 512,   kPool, 512, 512, 512, kPool};
  auto features = std::make_shared<nn::Sequential>();
  int64_t channels = 3;
  int64_t pools = 0;
  for (size_t i = 0; i < config.size(); ++i) {
    if (config[i] == kPool) {
      // The pools past the stride asked for are left out: 2^pools is the stride so far.
      if ((int64_t{2} << pools++) <= stride) features->push_back(std::make_shared<nn::MaxPool2d>());
      else if (i + 1 < config.size()) features->push_back(std::make_shared<nn::Identity>());
      continue;
    }
    const int64_t out = config[i] / width_divisor;
    features->push_back(std::make_shared<nn::Conv2d>(channels, out, 3, Conv2dOptions{1, 1, 1}, true, gen));
    features->push_back(std::make_shared<nn::ReLU>());
    channels = out;
  }
  return features;
}

}  // namespace rcnn::models
