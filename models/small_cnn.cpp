#include "models/small_cnn.h"

namespace rcnn::models {

std::shared_ptr<nn::Sequential> small_cnn(Generator& gen) {
  return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<Layer>>{
      std::make_shared<nn::Conv2d>(1, 32, 3, Conv2dOptions{1, 1, 1}, true, gen), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::MaxPool2d>(), std::make_shared<nn::Conv2d>(32, 64, 3, Conv2dOptions{1, 1, 1}, true, gen),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(), std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(64 * 7 * 7, 10, true, gen)});
}

}  // namespace rcnn::models
