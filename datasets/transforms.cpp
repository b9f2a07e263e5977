#include "datasets/transforms.h"

#include "ops/ops.h"

#include <algorithm>
#include <cmath>

#include "ops/elementwise.h"

namespace rcnn {

float resize_scale(int width, int height, int shorter, int longer) {
  check(width > 0 && height > 0 && shorter > 0 && longer >= shorter, "resize_scale: image ", width, "x", height,
        ", sides ", shorter, "/", longer);
  const float s = static_cast<float>(shorter) / std::min(width, height);
  return std::max(width, height) * s > longer ? static_cast<float>(longer) / std::max(width, height) : s;
}

Image resize_bilinear(const Image& image, int width, int height) {
  check(width > 0 && height > 0, "resize_bilinear: target size ", width, "x", height);
  Image out(width, height);
  const float sx = static_cast<float>(image.width) / width, sy = static_cast<float>(image.height) / height;
  for (int y = 0; y < height; ++y) {
    const float fy = std::clamp((y + 0.5f) * sy - 0.5f, 0.0f, image.height - 1.0f);
    const int y0 = static_cast<int>(fy), y1 = std::min(y0 + 1, image.height - 1);
    const float wy = fy - y0;
    for (int x = 0; x < width; ++x) {
      const float fx = std::clamp((x + 0.5f) * sx - 0.5f, 0.0f, image.width - 1.0f);
      const int x0 = static_cast<int>(fx), x1 = std::min(x0 + 1, image.width - 1);
      const float wx = fx - x0;
      for (int c = 0; c < 3; ++c) {
        const float top = image.pixel(x0, y0)[c] * (1 - wx) + image.pixel(x1, y0)[c] * wx;
        const float bottom = image.pixel(x0, y1)[c] * (1 - wx) + image.pixel(x1, y1)[c] * wx;
        out.pixel(x, y)[c] = static_cast<uint8_t>(std::lround(top * (1 - wy) + bottom * wy));
      }
    }
  }
  return out;
}

Image flip_horizontal(const Image& image) {
  Image out = image;
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) std::copy_n(image.pixel(image.width - 1 - x, y), 3, out.pixel(x, y));
  return out;
}

Box flip_box(const Box& b, int w) { return {w - b.x2, b.y1, w - b.x1, b.y2}; }

Box scale_box(const Box& b, float s) { return {b.x1 * s, b.y1 * s, b.x2 * s, b.y2 * s}; }

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

Tensor normalize(const Image& image, const std::array<float, 3>& mean, const std::array<float, 3>& std) {
  Tensor m = from_vector(std::vector<float>(mean.begin(), mean.end()), {3, 1, 1});
  Tensor s = from_vector(std::vector<float>(std.begin(), std.end()), {3, 1, 1});
  return (image_to_tensor(image) - m) / s;
}

Tensor boxes_tensor(const std::vector<Box>& boxes) {
  std::vector<float> b;
  for (const Box& x : boxes)
    b.insert(b.end(), {static_cast<float>(x.x1), static_cast<float>(x.y1), static_cast<float>(x.x2), static_cast<float>(x.y2)});
  return from_vector(b, {static_cast<int64_t>(boxes.size()), 4});
}

Tensor boxes_tensor(const Annotation& a) {
  std::vector<Box> boxes;
  for (const Object& o : a.objects) boxes.push_back(o.box);
  return boxes_tensor(boxes);
}

std::vector<Box> box_list(const Tensor& boxes) {
  const std::vector<double> v = boxes.cpu().to(kFloat64).to_vector<double>();
  std::vector<Box> out;
  for (size_t i = 0; i + 3 < v.size(); i += 4) out.push_back({v[i], v[i + 1], v[i + 2], v[i + 3]});
  return out;
}

Tensor labels_tensor(const Annotation& a) {
  std::vector<int64_t> l;
  for (const Object& o : a.objects) l.push_back(o.label);
  return from_vector(l, {static_cast<int64_t>(a.objects.size())});
}

Tensor imagenet_input(const Image& image, int resize, int crop) {
  const float scale = static_cast<float>(resize) / static_cast<float>(std::min(image.width, image.height));
  const int w = std::max(crop, static_cast<int>(image.width * scale)), h = std::max(crop, static_cast<int>(image.height * scale));
  const Tensor t = normalize(resize_bilinear(image, w, h));
  return narrow(narrow(t, 1, (h - crop) / 2, crop), 2, (w - crop) / 2, crop);
}

}  // namespace rcnn
