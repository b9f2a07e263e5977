#pragma once
// 8-bit RGB images: reading (JPEG, PNG, BMP, ... through stb_image; grey and RGBA become RGB) and
// writing PNG and JPEG (stb_image_write). Conversions to and from tensors are in transforms.h.
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

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
// Decodes an encoded image held in memory; `name` is used in error messages.
Image decode_image(const uint8_t* bytes, size_t size, const std::string& name);
// The size an encoded JPEG, PNG, BMP or GIF declares in its header, read by the decoder's own header
// parse without decoding: a server checks it before it decodes (a 50-byte PNG can declare 60 000 x
// 60 000 pixels). False where the header is not there, cut short, not one of these formats, or
// declares more than the decoder takes at all (2^30 bytes of pixels).
bool declared_image_size(const uint8_t* bytes, size_t size, int64_t& width, int64_t& height);
// "JPEG", "PNG", "GIF" or "BMP", as the bytes' signature announces; nullptr for anything else.
const char* image_format(const uint8_t* bytes, size_t size);
void save_png(const Image& image, const std::string& path);
void save_jpeg(const Image& image, const std::string& path, int quality = 90);

}  // namespace rcnn
