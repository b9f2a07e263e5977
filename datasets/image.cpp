#include "datasets/image.h"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <memory>

#include "ops/ops.h"

namespace rcnn {

Image::Image(int w, int h, Color fill) : width(w), height(h), rgb(static_cast<size_t>(w) * h * 3) {
  check(w > 0 && h > 0, "Image: size ", w, "x", h, " must be positive");
  for (size_t i = 0; i < rgb.size(); i += 3) rgb[i] = fill.r, rgb[i + 1] = fill.g, rgb[i + 2] = fill.b;
}

Image load_image(const std::string& path) {
  int w = 0, h = 0, channels = 0;
  std::unique_ptr<uint8_t, void (*)(void*)> data(stbi_load(path.c_str(), &w, &h, &channels, 3), stbi_image_free);
  check(data != nullptr, "load_image: cannot read ", path, ": ", stbi_failure_reason());
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

Tensor image_to_tensor(const Image& image) {
  const int64_t h = image.height, w = image.width;
  std::vector<float> chw(3 * h * w);
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t i = 0; i < h * w; ++i) chw[c * h * w + i] = image.rgb[i * 3 + c] / 255.0f;
  return from_vector(chw, {3, h, w});
}

Image tensor_to_image(const Tensor& t, bool normalize) {
  check(t.dim() == 2 || (t.dim() == 3 && (t.size(0) == 1 || t.size(0) == 3)), "tensor_to_image: expected (H, W), ",
        "(1, H, W) or (3, H, W), got ", shape_str(t.shape()));
  const int64_t channels = t.dim() == 2 ? 1 : t.size(0), h = t.size(-2), w = t.size(-1);
  std::vector<float> v = t.detach().to_vector<float>();
  float lo = 0, hi = 1;
  if (normalize && !v.empty()) {
    auto [mn, mx] = std::minmax_element(v.begin(), v.end());
    lo = *mn;
    hi = *mx > *mn ? *mx : *mn + 1;
  }
  Image image(static_cast<int>(w), static_cast<int>(h));
  for (int64_t i = 0; i < h * w; ++i)
    for (int64_t c = 0; c < 3; ++c) {
      float x = (v[(channels == 3 ? c : 0) * h * w + i] - lo) / (hi - lo);
      image.rgb[i * 3 + c] = static_cast<uint8_t>(std::clamp(x, 0.0f, 1.0f) * 255.0f + 0.5f);
    }
  return image;
}

}  // namespace rcnn
