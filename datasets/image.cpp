#include "datasets/image.h"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <fstream>
#include <memory>

namespace rcnn {

Image::Image(int w, int h, Color fill) : width(w), height(h), rgb(static_cast<size_t>(w) * h * 3) {
  check(w > 0 && h > 0, "Image: size ", w, "x", h, " must be positive");
  for (size_t i = 0; i < rgb.size(); i += 3) rgb[i] = fill.r, rgb[i + 1] = fill.g, rgb[i + 2] = fill.b;
}

Image load_image(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  check(in.good(), "load_image: cannot open ", path);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return decode_image(bytes.data(), bytes.size(), path);
}

Image decode_image(const uint8_t* bytes, size_t size, const std::string& name) {
  check(size > 0 && size < (size_t(1) << 31), "load_image: ", name, " is empty or too large (", size, " bytes)");
  int w = 0, h = 0, channels = 0;
  std::unique_ptr<uint8_t, void (*)(void*)> data(
      stbi_load_from_memory(bytes, static_cast<int>(size), &w, &h, &channels, 3), stbi_image_free);
  check(data != nullptr, "load_image: cannot decode ", name, ": ", stbi_failure_reason());
  Image image;
  image.width = w;
  image.height = h;
  image.rgb.assign(data.get(), data.get() + static_cast<size_t>(w) * h * 3);
  return image;
}

void save_png(const Image& image, const std::string& path) {
  check(stbi_write_png(path.c_str(), image.width, image.height, 3, image.rgb.data(), image.width * 3) != 0,
        "save_png: cannot write ", path);
}

void save_jpeg(const Image& image, const std::string& path, int quality) {
  check(stbi_write_jpg(path.c_str(), image.width, image.height, 3, image.rgb.data(), quality) != 0,
        "save_jpeg: cannot write ", path);
}

}  // namespace rcnn
