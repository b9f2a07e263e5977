#include "models/tiny_net.h"

#include "core/error.h"

namespace rcnn::models {

TinyNet::TinyNet(int64_t stride, Generator& gen)
    : Backbone(256, stride), body(register_module("body", std::make_shared<nn::Sequential>())) {
  check(stride == 16 || stride == 8, "TinyNet: stride ", stride, " (16, or 8 without the last pool)");
  int64_t in = 3, at = 1;
  for (int64_t out : {32, 64, 128, 256}) {
    body->push_back(std::make_shared<nn::Conv2d>(in, out, 3, Conv2dOptions{1, 1, 1}, true, gen));
    body->push_back(std::make_shared<nn::ReLU>());
    if (out < 256 || stride == 16) {
      body->push_back(std::make_shared<nn::MaxPool2d>());
      at *= 2;
    }
    // A stage ends where the next block halves the map again (or the network ends).
    if (at >= 4 && (out == 256 || (out == 128 && stride == 16) || out == 64)) {
      taps.push_back({out, at});
      tap_layers.push_back(body->size() - 1);
    }
    in = out;
  }
}

}  // namespace rcnn::models
