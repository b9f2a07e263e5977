#pragma once
// 8-bit RGB images: reading (JPEG, PNG, BMP, ... through stb_image; grey and RGBA become RGB),
// writing PNG and JPEG (stb_image_write), and the conversions to and from tensors.
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace rcnn {

struct Color {
  uint8_t r = 0, g = 0, b = 0;
};

struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // (height, width, 3), row-major

  Image() = default;
  Image(int w, int h, Color fill = {255, 255, 255});
  uint8_t* pixel(int x, int y) { return rgb.data() + (static_cast<size_t>(y) * width + x) * 3; }
  const uint8_t* pixel(int x, int y) const { return rgb.data() + (static_cast<size_t>(y) * width + x) * 3; }
  bool contains(int x, int y) const { return x >= 0 && y >= 0 && x < width && y < height; }
};

// Errors name the file and stb's reason (missing, truncated, not an image).
Image load_image(const std::string& path);
void save_png(const Image& image, const std::string& path);
void save_jpeg(const Image& image, const std::string& path, int quality = 90);

// (3, H, W) float tensor in [0, 1] from an image, and back (values clamped to [0, 1]).
Tensor image_to_tensor(const Image& image);
// t: (H, W) or (1, H, W) grey, or (3, H, W) RGB. With normalize, the tensor's range is stretched to
// [0, 255] (for feature maps); otherwise [0, 1] maps to [0, 255].
Image tensor_to_image(const Tensor& t, bool normalize = false);

}  // namespace rcnn
