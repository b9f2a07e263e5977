// Chapter 03 — convolution and pooling. Convolves a photograph with four hand-made 3x3 filters,
// max-pools the feature maps, writes them as a PNG grid, checks a tiny case by hand, and compares
// the two CPU convolution paths (im2col + GEMM, oneDNN) for value and speed.
//   build/cpu/bin/03_convolution_and_pooling [image=data/chelsea.png] [output dir=runs/03_convolution_and_pooling]
#include <filesystem>
#include <iostream>

#include "core/rng.h"
#include "core/timing.h"
#include "datasets/draw.h"
#include "datasets/image.h"
#include "datasets/transforms.h"
#include "layers/conv2d.h"
#include "layers/pool2d.h"
#include "ops/ops.h"

using namespace rcnn;

// Four 3x3 filters that read the image's brightness (each RGB channel weighs 1/3): identity, vertical
// edges (Sobel x), horizontal edges (Sobel y), and an emboss (light from the top left: a relief).
// weight: (4, 3, 3, 3).
static Tensor hand_made_filters() {
  const std::vector<std::vector<double>> k = {
      {0, 0, 0, 0, 1, 0, 0, 0, 0}, {-1, 0, 1, -2, 0, 2, -1, 0, 1}, {-1, -2, -1, 0, 0, 0, 1, 2, 1}, {-2, -1, 0, -1, 1, 1, 0, 1, 2}};
  std::vector<float> w;
  for (const auto& filter : k)
    for (int channel = 0; channel < 3; ++channel)
      for (double v : filter) w.push_back(static_cast<float>(v / 3));
  return from_vector(w, {4, 3, 3, 3});
}

// A map as a picture: |response| scaled so that 4 times its mean is white. Stretching min..max instead
// would let a few strong edges turn everything else black.
static Image visible(const Tensor& map) {
  const Tensor m = abs(map.view_as_shape({map.size(2), map.size(3)}));
  return tensor_to_image(clamp(m / (mean(m).item() * 4 + 1e-12), 0, 1));
}

int main(int argc, char** argv) try {
  const std::string path = argc > 1 ? argv[1] : "data/chelsea.png";
  const std::string out_dir = argc > 2 ? argv[2] : "runs/03_convolution_and_pooling";
  std::filesystem::create_directories(out_dir);

  // 1. A tiny case to check by hand: a 4x4 ramp convolved with a 2x2 kernel [[1, 0], [0, -1]]
  //    gives x[i][j] - x[i+1][j+1] = -5 everywhere (each step right adds 1, each step down adds 4).
  Tensor ramp = reshape(arange(16), {1, 1, 4, 4});
  Tensor diagonal = reshape(tensor({1, 0, 0, -1}), {1, 1, 2, 2});
  std::cout << "tiny example: conv2d(ramp 0..15, [[1 0] [0 -1]]) = " << conv2d(ramp, diagonal) << "\n";
  std::cout << "max_pool2d(ramp, 2x2) = " << max_pool2d(ramp) << "\n\n";

  // 2. The photograph: (1, 3, H, W) in [0, 1].
  Image photo = load_image(path);
  Tensor x = unsqueeze(image_to_tensor(photo), 0);
  Tensor features = conv2d(x, hand_made_filters(), {}, {1, 1, 1});  // (1, 4, H, W): padding keeps the size
  Tensor pooled = max_pool2d(relu(features), {2, 2, 0, false});       // (1, 4, H/2, W/2)
  std::cout << "image " << path << ": " << shape_str(x.shape()) << " -> conv2d " << shape_str(features.shape())
            << " -> relu, max_pool2d " << shape_str(pooled.shape()) << "\n";

  // 3. The picture: the photo, each feature map (stretched to black..white), and each pooled map.
  const std::vector<std::string> names = {"identity", "vertical edges", "horizontal edges", "emboss"};
  std::vector<Image> tiles{photo};
  std::vector<std::string> labels{"input"};
  for (int64_t k = 0; k < 4; ++k) {
    tiles.push_back(k == 0 ? tensor_to_image(narrow(features, 1, 0, 1).view_as_shape({features.size(2), features.size(3)}))
                           : visible(narrow(features, 1, k, 1)));
    labels.push_back(names[k]);
  }
  // The pooled maps are half the size: shown twice as large, pixel by pixel (nearest neighbour), so
  // their blocks are visible beside the input at the same scale.
  std::vector<Image> pooled_tiles{resize_bilinear(photo, photo.width / 2, photo.height / 2)};
  std::vector<std::string> pooled_labels{"input (half size)"};
  for (int64_t k = 0; k < 4; ++k) {
    pooled_tiles.push_back(k == 0 ? tensor_to_image(narrow(pooled, 1, 0, 1).view_as_shape({pooled.size(2), pooled.size(3)}))
                                  : visible(narrow(pooled, 1, k, 1)));
    pooled_labels.push_back("pooled " + names[k]);
  }
  save_png(image_grid(tiles, 3, 1, 4, labels), out_dir + "/feature_maps.png");
  save_png(image_grid(pooled_tiles, 3, 2, 4, pooled_labels), out_dir + "/pooled_maps.png");
  std::cout << "wrote " << out_dir << "/feature_maps.png and " << out_dir << "/pooled_maps.png\n\n";

  // 4. The two CPU paths compute the same convolution: im2col + GEMM (as explained in the chapter)
  //    and oneDNN. A layer-sized case: 64 -> 64 channels on the photo's size.
  Generator gen(0);
  Tensor big_x = randn({1, 64, x.size(2), x.size(3)}, gen), big_w = randn({64, 64, 3, 3}, gen) * 0.05;
  Tensor results[2];
  double ms[2];
  const CpuConvBackend backends[2] = {CpuConvBackend::Im2col, CpuConvBackend::OneDNN};
  for (int i = 0; i < 2; ++i) {
    set_cpu_conv_backend(backends[i]);
    ms[i] = median_ms([&] { results[i] = conv2d(big_x, big_w, {}, {1, 1, 1}); }, 5, 1);
  }
  const double gflop = 2.0 * 64 * 64 * 9 * x.size(2) * x.size(3) / 1e9;
  std::cout << "conv 64->64 3x3 at " << x.size(2) << "x" << x.size(3) << " (" << gflop << " GFLOP):\n"
            << "  im2col + GEMM:     " << ms[0] << " ms (" << gflop / ms[0] * 1e3 << " GFLOP/s)\n"
            << "  oneDNN:            " << ms[1] << " ms (" << gflop / ms[1] * 1e3 << " GFLOP/s)\n"
            << "  largest difference: " << max(abs(results[0] - results[1])).item() << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
