// Chapter 05 — the base network. Runs VGG16's convolutional layers (torchvision's layout, random
// Kaiming weights: no pretrained weights are needed to see the geometry) over a photograph, draws
// channels of three feature maps as grids, and follows one cell of the last map back to the pixels it
// covers and the pixels it sees (its receptive field). Then, where ImageNet weights are at hand
// (../shared/weights, README: Real photographs), a pretrained MobileNetV2 names the photograph's
// content and shows what its last feature map (stride 32) holds.
//   build/cpu/bin/05_base_network [--image data/chelsea.png] [--weights FILE] [--out runs/05_base_network]
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "autograd/grad_mode.h"
#include "core/rng.h"
#include "datasets/draw.h"
#include "datasets/transforms.h"
#include "layers/functional.h"
#include "layers/safetensors.h"
#include "models/mobilenet_v2.h"
#include "models/vgg16.h"
#include "ops/ops.h"

using namespace rcnn;

// The first `count` channels of a (1, C, H, W) map, each stretched to its own range, in a grid.
static Image channel_grid(const Tensor& map, int64_t count, int zoom) {
  std::vector<Image> tiles;
  for (int64_t c = 0; c < count && c < map.size(1); ++c)
    tiles.push_back(tensor_to_image(narrow(squeeze(map, 0), 0, c, 1), /*normalize=*/true));
  return image_grid(tiles, 8, zoom, 2);
}

int main(int argc, char** argv) try {
  CLI::App app{"Chapter 05: the base network"};
  std::string path = "data/chelsea.png", out = "runs/05_base_network";
  std::string weights = "../shared/weights/mobilenet_v2_imagenet.safetensors";
  app.add_option("--image", path, "a photograph (make tutorials fetches chapter 03's)");
  app.add_option("--weights", weights, "ImageNet MobileNetV2 (torchvision's names); its folder holds imagenet_classes.txt");
  app.add_option("--out", out, "where the pictures go");
  CLI11_PARSE(app, argc, argv);
  std::filesystem::create_directories(out);
  NoGradGuard no_grad;

  const Image photo = load_image(path);
  const auto features = models::vgg16_features(1, /*stride=*/16);
  Tensor x = unsqueeze(normalize(photo), 0);
  std::printf("image %d x %d\n", photo.width, photo.height);

  // Layer by layer: the map's size, the stride (image pixels per cell) and the receptive field (the
  // pixels one cell can see): a k x k layer adds (k - 1) x stride to it; a pooling doubles the stride.
  int64_t stride = 1, field = 1, conv = 0;
  const char* names[] = {"conv1_2", "conv3_3", "conv5_3"};
  const int64_t shown[] = {2, 7, 13};  // the 2nd, 7th and 13th convolution
  std::vector<Image> grids;
  int shown_next = 0;
  for (const auto& layer : features->layers()) {
    x = layer->forward(x);
    if (auto* c = dynamic_cast<nn::Conv2d*>(layer.get())) {
      field += (c->weight.size(2) - 1) * stride;
      ++conv;
    } else if (auto* p = dynamic_cast<nn::MaxPool2d*>(layer.get())) {
      field += (p->options.kernel - 1) * stride;
      stride *= p->options.kernel;
    } else if (shown_next < 3 && conv == shown[shown_next] && dynamic_cast<nn::ReLU*>(layer.get())) {
      std::printf("%s: %lld channels of %lld x %lld, stride %lld, receptive field %lld x %lld pixels\n",
                  names[shown_next], static_cast<long long>(x.size(1)), static_cast<long long>(x.size(2)),
                  static_cast<long long>(x.size(3)), static_cast<long long>(stride), static_cast<long long>(field),
                  static_cast<long long>(field));
      grids.push_back(channel_grid(x, 16, shown_next == 2 ? 4 : 1));
      save_png(grids.back(), out + "/" + names[shown_next] + ".png");
      ++shown_next;
    }
  }

  // One cell of conv5_3, back in the image: the 16 x 16 pixels it stands for, and the field it sees.
  const int64_t cy = x.size(2) / 2, cx = x.size(3) / 2;
  Image marked = photo;
  const double x0 = cx * stride, y0 = cy * stride, centre_x = x0 + stride / 2.0, centre_y = y0 + stride / 2.0;
  draw_labelled_box(marked, {centre_x - field / 2.0, centre_y - field / 2.0, centre_x + field / 2.0, centre_y + field / 2.0},
                    "receptive field", palette(0), 2);
  draw_labelled_box(marked, {x0, y0, x0 + stride, y0 + stride}, "cell", palette(2), 2);
  save_png(marked, out + "/cell_in_image.png");
  std::printf("conv5_3 cell (%lld, %lld) stands for pixels [%.0f, %.0f) x [%.0f, %.0f) and sees %lld x %lld around them\n",
              static_cast<long long>(cy), static_cast<long long>(cx), x0, x0 + stride, y0, y0 + stride,
              static_cast<long long>(field), static_cast<long long>(field));
  std::printf("wrote %s/conv1_2.png, conv3_3.png, conv5_3.png, cell_in_image.png\n", out.c_str());

  // A pretrained network on the same photograph: what ImageNet taught it to see.
  if (!std::filesystem::exists(weights)) {
    std::printf("MobileNetV2: skipped, no ImageNet weights at %s (README: Real photographs)\n", weights.c_str());
    return 0;
  }
  models::MobileNetV2 mobilenet;
  mobilenet.load_parameters(load_safetensors(weights), /*strict=*/false);  // its BN counters are not needed
  mobilenet.eval();
  std::vector<std::string> classes;
  std::ifstream names_file(std::filesystem::path(weights).parent_path() / "imagenet_classes.txt");
  for (std::string line; std::getline(names_file, line);) classes.push_back(line);
  const Tensor input = unsqueeze(imagenet_input(photo), 0);  // shorter side 256, centre 224 x 224
  const Tensor probabilities = softmax(mobilenet.classify(input), 1);
  const ValuesIndices top = topk(reshape(probabilities, {-1}), 5);
  const std::vector<float> p = top.values.to_vector<float>();
  const std::vector<int64_t> index = top.indices.to_vector<int64_t>();
  std::printf("MobileNetV2 (ImageNet weights) on the centre 224 x 224 of the photograph, its top 5:\n");
  for (size_t i = 0; i < p.size(); ++i)
    std::printf("  %5.1f%%  %s\n", 100 * p[i], index[i] < static_cast<int64_t>(classes.size()) ? classes[index[i]].c_str() : "?");
  // Its detection backbone is `features`: 1280 channels at stride 32 over the whole photograph.
  const Tensor map = mobilenet.forward(unsqueeze(normalize(photo), 0));
  std::printf("MobileNetV2 features: %lld channels of %lld x %lld, stride 32: cell (%lld, %lld) stands for pixels "
              "[%lld, %lld) x [%lld, %lld)\n",
              static_cast<long long>(map.size(1)), static_cast<long long>(map.size(2)), static_cast<long long>(map.size(3)),
              static_cast<long long>(map.size(2) / 2), static_cast<long long>(map.size(3) / 2),
              static_cast<long long>(map.size(3) / 2 * 32), static_cast<long long>(map.size(3) / 2 * 32 + 32),
              static_cast<long long>(map.size(2) / 2 * 32), static_cast<long long>(map.size(2) / 2 * 32 + 32));
  save_png(channel_grid(map, 16, 8), out + "/mobilenet_v2_features.png");
  std::printf("wrote %s/mobilenet_v2_features.png\n", out.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
