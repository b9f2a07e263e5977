#include "datasets/generated.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "core/progress.h"
#include "core/rng.h"
#include "datasets/fashion_mnist.h"
#include "datasets/text.h"
#include "datasets/transforms.h"
#include "ops/ops.h"
#include "datasets/image.h"
#include "datasets/voc.h"

namespace rcnn {

namespace fs = std::filesystem;

namespace {

constexpr float kPi = 3.14159265f;

// A canvas that remembers which object owns each pixel, so occlusion and visible boxes are known.
struct Scene {
  Image image;
  std::vector<int> owner;        // per pixel: the object painted last there, or -1
  std::vector<int64_t> painted;  // per object: pixels it covered when painted
  std::vector<bool> cut;         // per object: reaches past the border

  // alpha(x, y) in [0, 1] at pixel centre (x + 0.5, y + 0.5), within `bounds`; a pixel belongs to the
  // object where alpha > 0.25.
  template <class Alpha>
  void paint(const Box& bounds, Color color, Alpha&& alpha) {
    const int id = static_cast<int>(painted.size());
    painted.push_back(0);
    cut.push_back(bounds.x1 < 0 || bounds.y1 < 0 || bounds.x2 > image.width || bounds.y2 > image.height);
    for (int y = std::max(0, static_cast<int>(bounds.y1)); y < std::min(image.height, static_cast<int>(bounds.y2) + 1); ++y)
      for (int x = std::max(0, static_cast<int>(bounds.x1)); x < std::min(image.width, static_cast<int>(bounds.x2) + 1); ++x) {
        const float a = alpha(x + 0.5f, y + 0.5f);
        if (a <= 0) continue;
        uint8_t* p = image.pixel(x, y);
        const uint8_t c[3] = {color.r, color.g, color.b};
        for (int k = 0; k < 3; ++k) p[k] = static_cast<uint8_t>(std::lround(p[k] * (1 - a) + c[k] * a));
        if (a > 0.25f) {
          owner[static_cast<size_t>(y) * image.width + x] = id;
          ++painted[id];
        }
      }
  }
};

// A muted two-colour gradient with stripes and noise, so the detector must look at shapes, not colour.
Scene textured_canvas(int size, Generator& gen) {
  Scene scene{Image(size, size), std::vector<int>(static_cast<size_t>(size) * size, -1), {}, {}};
  float c0[3], c1[3];
  for (int k = 0; k < 3; ++k) c0[k] = 60 + 130 * gen.uniform(), c1[k] = 60 + 130 * gen.uniform();
  const float angle = gen.uniform() * kPi, freq = 0.05f + 0.25f * gen.uniform(), stripes = 8 + 14 * gen.uniform();
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const float t = (x + y) / (2.0f * size);
      const float wave = stripes * std::sin(freq * (x * std::cos(angle) + y * std::sin(angle)));
      for (int k = 0; k < 3; ++k) {
        const float v = c0[k] * (1 - t) + c1[k] * t + wave + 24 * (gen.uniform() - 0.5f);
        scene.image.pixel(x, y)[k] = static_cast<uint8_t>(std::clamp(v, 0.0f, 255.0f));
      }
    }
  return scene;
}

// A saturated colour: one channel high, one low, one anywhere.
Color bright_color(Generator& gen) {
  int v[3] = {200 + static_cast<int>(55 * gen.uniform()), static_cast<int>(60 * gen.uniform()),
              static_cast<int>(255 * gen.uniform())};
  for (int i = 2; i > 0; --i) std::swap(v[i], v[gen.below(i + 1)]);
  return {static_cast<uint8_t>(v[0]), static_cast<uint8_t>(v[1]), static_cast<uint8_t>(v[2])};
}

// Turns the painted scene into annotated objects (visible extent, difficult, truncated).
std::vector<Object> visible_objects(const Scene& scene, const std::vector<int64_t>& labels,
                                    const std::vector<std::string>& classes) {
  const int w = scene.image.width, h = scene.image.height;
  std::vector<Box> box(labels.size(), Box{1e9, 1e9, -1e9, -1e9});
  std::vector<int64_t> visible(labels.size(), 0);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int o = scene.owner[static_cast<size_t>(y) * w + x];
      if (o < 0) continue;
      ++visible[o];
      Box& b = box[o];
      b = {std::min<double>(b.x1, x), std::min<double>(b.y1, y), std::max<double>(b.x2, x + 1), std::max<double>(b.y2, y + 1)};
    }
  std::vector<Object> objects;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (visible[i] == 0 || box[i].width() < 4 || box[i].height() < 4) continue;  // hidden or a sliver
    Object o;
    o.label = labels[i];
    o.name = classes[labels[i]];
    o.box = box[i];
    o.difficult = visible[i] < 0.4 * scene.painted[i];
    o.truncated = scene.cut[i];
    objects.push_back(o);
  }
  return objects;
}

// Writes image and annotation of item i, and records it in its split.
void save_item(const GenerateOptions& opt, int64_t i, const Scene& scene, std::vector<Object> objects, Dataset& data,
               std::vector<std::string> (&splits)[3]) {
  char id[32];
  std::snprintf(id, sizeof id, "%06lld", static_cast<long long>(i));
  Annotation a;
  a.id = id;
  a.image_path = (fs::path(opt.out_dir) / "JPEGImages" / (a.id + ".jpg")).string();
  a.width = scene.image.width;
  a.height = scene.image.height;
  a.objects = std::move(objects);
  save_jpeg(scene.image, a.image_path, 95);
  write_voc_annotation(a, (fs::path(opt.out_dir) / "Annotations" / (a.id + ".xml")).string());
  splits[i % 10 == 8 ? 1 : i % 10 == 9 ? 2 : 0].push_back(a.id);  // 80% train, 10% val, 10% test
  data.items.push_back(std::move(a));
}

template <class MakeScene>
Dataset generate(const GenerateOptions& opt, const std::string& name, const std::vector<std::string>& classes,
                 MakeScene&& make_scene) {
  check(opt.images > 0 && opt.size >= 64, "generate ", name, ": ", opt.images, " images of ", opt.size,
        " px (need at least 1 image of at least 64 px)");
  check(!opt.out_dir.empty(), "generate ", name, ": no output folder given");
  for (const char* sub : {"JPEGImages", "Annotations", "ImageSets/Main"}) fs::create_directories(fs::path(opt.out_dir) / sub);
  Dataset data{name, classes, {}};
  std::vector<std::string> splits[3];
  Generator gen(opt.seed);
  std::optional<ProgressBar> bar;
  if (opt.progress) bar.emplace(name, opt.images, "img");
  for (int64_t i = 0; i < opt.images; ++i) {
    std::vector<int64_t> labels;
    Scene scene = make_scene(gen, labels);
    save_item(opt, i, scene, visible_objects(scene, labels, classes), data, splits);
    if (bar) bar->update(i + 1);
  }
  if (bar) bar->finish();
  write_voc_split(opt.out_dir, "train", splits[0]);
  write_voc_split(opt.out_dir, "val", splits[1]);
  write_voc_split(opt.out_dir, "test", splits[2]);
  std::vector<std::string> trainval = splits[0];
  trainval.insert(trainval.end(), splits[1].begin(), splits[1].end());
  write_voc_split(opt.out_dir, "trainval", trainval);
  std::ofstream names(fs::path(opt.out_dir) / "classes.txt");
  for (const std::string& c : classes) names << c << "\n";
  return data;
}

}  // namespace

const std::vector<std::string>& shapes_classes() {
  static const std::vector<std::string> classes = {"circle", "square", "triangle"};
  return classes;
}

Dataset generate_shapes(const GenerateOptions& opt) {
  return generate(opt, "shapes", shapes_classes(), [&](Generator& gen, std::vector<int64_t>& labels) {
    Scene scene = textured_canvas(opt.size, gen);
    const int count = 1 + static_cast<int>(gen.below(6));
    const float scale = opt.size / 256.0f;
    for (int k = 0; k < count; ++k) {
      const int64_t label = static_cast<int64_t>(gen.below(3));
      const float s = (16 + 144 * gen.uniform() * gen.uniform()) * scale;  // more small shapes than large
      const float cx = opt.size * (0.05f + 0.9f * gen.uniform()), cy = opt.size * (0.05f + 0.9f * gen.uniform());
      const Box bounds{cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2};
      const Color color = bright_color(gen);
      if (label == 0)
        scene.paint(bounds, color, [&](float x, float y) { return (x - cx) * (x - cx) + (y - cy) * (y - cy) <= s * s / 4 ? 1.0f : 0.0f; });
      else if (label == 1)
        scene.paint(bounds, color, [&](float x, float y) { return x >= bounds.x1 && x <= bounds.x2 && y >= bounds.y1 && y <= bounds.y2 ? 1.0f : 0.0f; });
      else  // apex at the top centre, base along the bottom edge
        scene.paint(bounds, color, [&](float x, float y) {
          const float depth = (y - bounds.y1) / s;
          return depth >= 0 && depth <= 1 && std::abs(x - cx) <= depth * s / 2 ? 1.0f : 0.0f;
        });
      labels.push_back(label);
    }
    return scene;
  });
}

// Fashion-MNIST's training items, as the painter reads them.
struct FashionItems {
  std::vector<float> pixels;  // (N, 28, 28) in [0, 1]
  std::vector<int64_t> labels;
  std::vector<std::string> class_names;
  int64_t count() const { return static_cast<int64_t>(labels.size()); }
};

namespace {

FashionItems load_fashion_items(const std::string& split) {
  const LabelledImages items = load_fashion_mnist(split);
  return {items.images.to_vector<float>(), items.labels.to_vector<int64_t>(), items.class_names};
}

int64_t random_item(const FashionItems& items, Generator& gen) {
  return static_cast<int64_t>(gen.below(static_cast<uint64_t>(items.count())));
}

// Paints item `item`, s x s pixels at (x0, y0), in a bright colour: a bilinear sample of its 28 x 28
// grey values, used as alpha over the canvas. Returns its label.
int64_t paint_fashion_item(Scene& scene, const FashionItems& items, int64_t item, float x0, float y0, float s,
                           Generator& gen) {
  const float* p = items.pixels.data() + item * 28 * 28;
  scene.paint({x0, y0, x0 + s, y0 + s}, bright_color(gen), [&](float x, float y) {
    const float u = std::clamp((x - x0) / s * 28 - 0.5f, 0.0f, 27.0f), v = std::clamp((y - y0) / s * 28 - 0.5f, 0.0f, 27.0f);
    const int u0 = static_cast<int>(u), v0 = static_cast<int>(v), u1 = std::min(u0 + 1, 27), v1 = std::min(v0 + 1, 27);
    const float fu = u - u0, fv = v - v0;
    if (x < x0 || y < y0 || x > x0 + s || y > y0 + s) return 0.0f;
    return (p[v0 * 28 + u0] * (1 - fu) + p[v0 * 28 + u1] * fu) * (1 - fv) + (p[v1 * 28 + u0] * (1 - fu) + p[v1 * 28 + u1] * fu) * fv;
  });
  return items.labels[static_cast<size_t>(item)];
}

}  // namespace

Dataset generate_fashion_scenes(const GenerateOptions& opt) {
  const FashionItems items = load_fashion_items("train");
  return generate(opt, "fashion-scenes", items.class_names, [&](Generator& gen, std::vector<int64_t>& labels) {
    Scene scene = textured_canvas(opt.size, gen);
    const int count = 1 + static_cast<int>(gen.below(4));
    for (int k = 0; k < count; ++k) {
      const int64_t item = random_item(items, gen);
      const float s = (42 + 98 * gen.uniform()) * opt.size / 256.0f;
      const float x0 = (opt.size - s) * gen.uniform(), y0 = (opt.size - s) * gen.uniform();
      labels.push_back(paint_fashion_item(scene, items, item, x0, y0, s, gen));
    }
    return scene;
  });
}

FashionItemRenderer::FashionItemRenderer(int size, const std::string& split)
    : size_(size), items_(std::make_shared<FashionItems>(load_fashion_items(split))) {
  check(size >= 32, "FashionItemRenderer: ", size, " px images (need at least 32)");
}

const std::vector<std::string>& FashionItemRenderer::class_names() const { return items_->class_names; }

LabelledImages FashionItemRenderer::render(int64_t count, Generator& gen) const {
  std::vector<Tensor> images;
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < count; ++i) {
    Scene scene = textured_canvas(size_, gen);
    const float s = size_ * (0.65f + 0.35f * gen.uniform());
    const float x0 = (size_ - s) * gen.uniform(), y0 = (size_ - s) * gen.uniform();
    labels.push_back(paint_fashion_item(scene, *items_, random_item(*items_, gen), x0, y0, s, gen));
    images.push_back(normalize(scene.image));
  }
  return {stack(images, 0), from_vector(labels, {count}), items_->class_names};
}

std::vector<std::string> read_classes(const std::string& dir) {
  std::ifstream in(fs::path(dir) / "classes.txt");
  if (!in.good()) return voc_classes();
  std::vector<std::string> classes;
  for (std::string line; std::getline(in, line);)
    if (!trim(line).empty()) classes.push_back(trim(line));
  check(!classes.empty(), "read_classes: ", (fs::path(dir) / "classes.txt").string(), " lists no classes");
  return classes;
}

}  // namespace rcnn
