#include "models/tiny_net.h"

namespace rcnn::models {

TinyNet::TinyNet(Generator& gen) : Backbone(256, 16), body(register_module("body", std::make_shared<nn::Sequential>())) {
  int64_t in = 3;
  for (int64_t out : {32, 64, 128, 256}) {
    body->push_back(std::make_shared<nn::Conv2d>(in, out, 3, Conv2dOptions{1, 1, 1}, true, gen));
    body->push_back(std::make_shared<nn::ReLU>());
    body->push_back(std::make_shared<nn::MaxPool2d>());
    in = out;
  }
}

}  // namespace rcnn::models
