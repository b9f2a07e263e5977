// Chapter 06 — anchors and box coding. Lays the paper's 9 anchors over a 480 x 320 image at stride 16,
// draws the anchor centres, the anchors of one point and all of them (the seed article's three
// figures), then codes a box relative to an anchor and decodes it back.
//   build/cpu/bin/06_anchors_and_box_coding [--out runs/06_anchors_and_box_coding]
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "datasets/draw.h"
#include "datasets/transforms.h"
#include "detection/anchors.h"
#include "detection/boxes.h"
#include "ops/ops.h"

using namespace rcnn;

// Pictures show the image (grey) inside a white margin, so anchors reaching outside it stay visible.
constexpr int kMargin = 160;
static Image framed(int w, int h) {
  Image canvas(w + 2 * kMargin, h + 2 * kMargin);
  fill_rect(canvas, kMargin, kMargin, kMargin + w - 1, kMargin + h - 1, {235, 235, 235});
  return canvas;
}
static void outline(Image& canvas, const Box& b, Color color, int thickness) {
  draw_rect(canvas, static_cast<int>(b.x1) + kMargin, static_cast<int>(b.y1) + kMargin, static_cast<int>(b.x2) + kMargin - 1,
            static_cast<int>(b.y2) + kMargin - 1, color, thickness);
}

int main(int argc, char** argv) try {
  CLI::App app{"Chapter 06: anchors and box coding"};
  std::string out = "runs/06_anchors_and_box_coding";
  std::string preset = "paper";
  app.add_option("--out", out, "where the pictures go");
  app.add_option("--preset", preset, "the anchors: paper (3 sizes, py-faster-rcnn) or luminoth (4 sizes, the seed article)")
      ->check(CLI::IsMember({"paper", "luminoth"}));
  CLI11_PARSE(app, argc, argv);
  std::filesystem::create_directories(out);

  // 1. The anchors: 9 per cell of a (320 / 16) x (480 / 16) feature map.
  const int W = 480, H = 320;
  const AnchorOptions options = preset == "paper" ? AnchorOptions::paper() : AnchorOptions::luminoth();
  const size_t sizes = options.sizes.size();
  const int64_t fh = H / options.stride, fw = W / options.stride;
  const Tensor anchors = grid_anchors(options, fh, fw);
  std::printf("feature map %lld x %lld cells, %lld anchors per cell: %lld anchors\n", static_cast<long long>(fh),
              static_cast<long long>(fw), static_cast<long long>(options.count()),
              static_cast<long long>(anchors.size(0)));
  const std::vector<Box> a = box_list(anchors);

  Image centres = framed(W, H);
  for (int64_t i = 0; i < anchors.size(0); i += options.count()) {
    const Box b = a[i];
    const int cx = static_cast<int>((b.x1 + b.x2) / 2) + kMargin, cy = static_cast<int>((b.y1 + b.y2) / 2) + kMargin;
    fill_rect(centres, cx - 1, cy - 1, cx + 1, cy + 1, palette(0));
  }
  save_png(centres, out + "/anchor_centres.png");

  // The anchors of the cell nearest the image centre: every size for every height:width ratio, in
  // cell_anchors' order (ratio by ratio, size by size), each row labelled from the values used.
  Image one = framed(W, H);
  const int64_t cell = (fh / 2) * fw + fw / 2;
  std::printf("the anchors of cell (%lld, %lld), centre (%.0f, %.0f):\n", static_cast<long long>(fh / 2),
              static_cast<long long>(fw / 2), (fw / 2 + 0.5) * options.stride, (fh / 2 + 0.5) * options.stride);
  for (int64_t k = 0; k < options.count(); ++k) {
    const Box b = a[cell * options.count() + k];
    const double ratio = options.ratios[k / sizes];  // height / width
    char label[16];
    if (ratio >= 1) std::snprintf(label, sizeof label, "%g:1", ratio);
    else std::snprintf(label, sizeof label, "1:%g", 1 / ratio);
    std::printf("  %-4s %-4s %7.1f x %-7.1f area %.0f^2\n", label, std::to_string(int(options.sizes[k % sizes])).c_str(),
                b.width(), b.height(), std::sqrt(b.width() * b.height()));
    outline(one, b, palette(static_cast<int>(k % sizes)), 2);
  }
  save_png(one, out + "/anchors_of_one_point.png");

  // All of them, drawn for every 5th cell in each direction so the picture stays legible: most reach
  // outside the image (training ignores those; chapter 07).
  Image all = framed(W, H);
  for (int64_t y = 2; y < fh; y += 5)
    for (int64_t x = 2; x < fw; x += 5)
      for (int64_t k = 0; k < options.count(); ++k)
        outline(all, a[(y * fw + x) * options.count() + k], palette(static_cast<int>(k % sizes)), 1);
  std::printf("%lld of them lie wholly inside the image\n", static_cast<long long>(sum(boxes_inside(anchors, H, W)).item()));
  save_png(all, out + "/all_anchors.png");

  // 2. Coding a box relative to an anchor (Faster R-CNN, eq. 2), divided by the stds (0.1, 0.1, 0.2, 0.2).
  const Tensor anchor = from_vector<float>({176, 96, 304, 224}, {1, 4});  // 128 x 128 around (240, 160)
  const Tensor object = from_vector<float>({190, 120, 330, 210}, {1, 4});
  const Tensor deltas = encode_boxes(anchor, object);
  const std::vector<float> d = deltas.to_vector<float>();
  std::printf("anchor (176, 96, 304, 224), object (190, 120, 330, 210)\n");
  std::printf("deltas: dx %.4f  dy %.4f  dw %.4f  dh %.4f\n", d[0], d[1], d[2], d[3]);
  const std::vector<float> back = decode_boxes(anchor, deltas).to_vector<float>();
  std::printf("decoded back: (%.2f, %.2f, %.2f, %.2f)\n", back[0], back[1], back[2], back[3]);
  std::printf("wrote %s/anchor_centres.png, anchors_of_one_point.png, all_anchors.png\n", out.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
