#include "datasets/draw.h"

#include <stb/stb_easy_font.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace rcnn {

void fill_rect(Image& image, int x0, int y0, int x1, int y1, Color c) {
  x0 = std::max(x0, 0), y0 = std::max(y0, 0);
  x1 = std::min(x1, image.width - 1), y1 = std::min(y1, image.height - 1);
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) {
      uint8_t* p = image.pixel(x, y);
      p[0] = c.r, p[1] = c.g, p[2] = c.b;
    }
}

void draw_rect(Image& image, int x0, int y0, int x1, int y1, Color c, int t) {
  fill_rect(image, x0, y0, x1, y0 + t - 1, c);
  fill_rect(image, x0, y1 - t + 1, x1, y1, c);
  fill_rect(image, x0, y0, x0 + t - 1, y1, c);
  fill_rect(image, x1 - t + 1, y0, x1, y1, c);
}

// Bresenham's line.
void draw_line(Image& image, int x0, int y0, int x1, int y1, Color c) {
  const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  for (int err = dx + dy;;) {
    if (image.contains(x0, y0)) fill_rect(image, x0, y0, x0, y0, c);
    if (x0 == x1 && y0 == y1) break;
    const int e2 = 2 * err;
    if (e2 >= dy) err += dy, x0 += sx;
    if (e2 <= dx) err += dx, y0 += sy;
  }
}

int text_width(const std::string& text, int scale) {
  return stb_easy_font_width(const_cast<char*>(text.c_str())) * scale;
}

// stb_easy_font turns text into axis-aligned quads (4 vertices of x, y, z, colour); each quad is
// filled as a rectangle, scaled.
int draw_text(Image& image, int x, int y, const std::string& text, Color c, int scale) {
  static thread_local std::vector<char> buffer(1 << 16);
  const size_t needed = text.size() * 270 + 64;  // stb's bound: at most ~270 bytes of quads per character
  if (buffer.size() < needed) buffer.resize(needed);
  const int quads = stb_easy_font_print(0, 0, const_cast<char*>(text.c_str()), nullptr, buffer.data(),
                                        static_cast<int>(buffer.size()));
  const float* v = reinterpret_cast<const float*>(buffer.data());
  for (int q = 0; q < quads; ++q, v += 16) {
    const int qx0 = static_cast<int>(v[0]), qy0 = static_cast<int>(v[1]);
    const int qx1 = static_cast<int>(v[8]), qy1 = static_cast<int>(v[9]);  // the opposite corner
    fill_rect(image, x + qx0 * scale, y + qy0 * scale, x + qx1 * scale - 1, y + qy1 * scale - 1, c);
  }
  return text_width(text, scale);
}

void draw_labelled_box(Image& image, const Box& box, const std::string& label, Color color, int thickness) {
  LabelTabs alone;
  draw_labelled_box(image, box, label, color, thickness, alone);
}

void draw_labelled_box(Image& image, const Box& box, const std::string& label, Color color, int thickness, LabelTabs& tabs) {
  const int x1 = static_cast<int>(std::floor(box.x1)), y1 = static_cast<int>(std::floor(box.y1));
  const int x2 = static_cast<int>(std::ceil(box.x2)) - 1, y2 = static_cast<int>(std::ceil(box.y2)) - 1;
  draw_rect(image, x1, y1, x2, y2, color, thickness);
  if (label.empty()) return;
  const int tab_h = 11, tab_w = text_width(label) + 4;
  // Where the tab may go, best first; the first that is inside the image and overlaps no tab wins (the
  // first inside the image when every one is taken).
  std::vector<int> rows = {y1 - tab_h, y1, y2 + 1};
  for (int k = 2; k <= 6; ++k) rows.push_back(y1 - k * tab_h);
  const int x0 = std::clamp(x1, 0, std::max(0, image.width - tab_w));
  auto inside = [&](int y) { return y >= 0 && y + tab_h <= image.height; };
  auto free = [&](int y) {
    return std::none_of(tabs.drawn.begin(), tabs.drawn.end(), [&](const LabelTabs::Tab& t) {
      return x0 <= t.x1 && t.x0 <= x0 + tab_w - 1 && y <= t.y1 && t.y0 <= y + tab_h - 1;
    });
  };
  int tab_y = std::max(0, std::min(y1, image.height - tab_h));
  if (const auto fallback = std::find_if(rows.begin(), rows.end(), inside); fallback != rows.end()) tab_y = *fallback;
  if (const auto best = std::find_if(rows.begin(), rows.end(), [&](int y) { return inside(y) && free(y); }); best != rows.end())
    tab_y = *best;
  tabs.drawn.push_back({x0, tab_y, x0 + tab_w - 1, tab_y + tab_h - 1});
  fill_rect(image, x0, tab_y, x0 + tab_w - 1, tab_y + tab_h - 1, color);
  const bool light = color.r * 299 + color.g * 587 + color.b * 114 > 150000;  // dark text on light tabs
  draw_text(image, x0 + 2, tab_y + 2, label, light ? Color{0, 0, 0} : Color{255, 255, 255});
}

Image image_grid(const std::vector<Image>& images, int columns, int zoom, int gap, const std::vector<std::string>& labels) {
  check(!images.empty() && columns > 0 && zoom > 0, "image_grid: ", images.size(), " images in ", columns,
        " columns at zoom ", zoom);
  int cell_w = 0, cell_h = 0;
  for (const Image& im : images) cell_w = std::max(cell_w, im.width * zoom), cell_h = std::max(cell_h, im.height * zoom);
  const int caption = labels.empty() ? 0 : 12;
  const int rows = (static_cast<int>(images.size()) + columns - 1) / columns;
  const int cols = std::min<int>(columns, static_cast<int>(images.size()));
  Image grid(cols * (cell_w + gap) + gap, rows * (cell_h + caption + gap) + gap);
  for (size_t i = 0; i < images.size(); ++i) {
    const int ox = gap + static_cast<int>(i % columns) * (cell_w + gap);
    const int oy = gap + static_cast<int>(i / columns) * (cell_h + caption + gap);
    const Image& im = images[i];
    for (int y = 0; y < im.height * zoom; ++y)
      for (int x = 0; x < im.width * zoom; ++x) std::copy_n(im.pixel(x / zoom, y / zoom), 3, grid.pixel(ox + x, oy + y));
    if (i < labels.size()) draw_text(grid, ox, oy + cell_h + 2, labels[i], {0, 0, 0});
  }
  return grid;
}

namespace {
// About eight round tick values covering [lo, hi].
std::vector<double> ticks(double lo, double hi) {
  const double raw = (hi - lo) / 8, magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * magnitude) {
      step = m * magnitude;
      break;
    }
  std::vector<double> out;
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push_back(t);
  return out;
}

std::string format_tick(double v) {
  char s[32];
  std::snprintf(s, sizeof s, "%g", std::abs(v) < 1e-12 ? 0.0 : v);
  return s;
}
}  // namespace

Image line_plot(const std::vector<Series>& series, const std::string& title, const std::string& x_label,
                const std::string& y_label, int width, int height, const std::optional<PlotLimits>& limits) {
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const Series& s : series)
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]), y1 = std::max(y1, s.y[i]);
    }
  if (x0 > x1) x0 = 0, x1 = 1, y0 = 0, y1 = 1;  // nothing to plot: empty axes
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  const double pad = (y1 - y0) * 0.05;
  y0 -= pad, y1 += pad;
  if (limits) x0 = limits->x_min, x1 = limits->x_max, y0 = limits->y_min, y1 = limits->y_max;

  Image image(width, height);
  const int left = 60, right = width - 20, top = 30, bottom = height - 45;
  auto px = [&](double x) { return left + static_cast<int>((x - x0) / (x1 - x0) * (right - left)); };
  auto py = [&](double y) { return bottom - static_cast<int>((y - y0) / (y1 - y0) * (bottom - top)); };
  const Color grey{200, 200, 200}, black{0, 0, 0};
  for (double t : ticks(y0, y1)) {
    draw_line(image, left, py(t), right, py(t), grey);
    std::string s = format_tick(t);
    draw_text(image, left - 6 - text_width(s), py(t) - 3, s, black);
  }
  for (double t : ticks(x0, x1)) {
    draw_line(image, px(t), top, px(t), bottom, grey);
    std::string s = format_tick(t);
    draw_text(image, px(t) - text_width(s) / 2, bottom + 6, s, black);
  }
  draw_rect(image, left, top, right, bottom, black);
  for (const Series& s : series) {
    const size_t n = std::min(s.x.size(), s.y.size());
    for (size_t i = 1; i < n; ++i)
      if (std::isfinite(s.y[i - 1]) && std::isfinite(s.y[i]))
        draw_line(image, px(s.x[i - 1]), py(s.y[i - 1]), px(s.x[i]), py(s.y[i]), s.color);
    // A point with no neighbour to join (a test loss measured once, after one epoch) is drawn as a dot.
    for (size_t i = 0; i < n; ++i) {
      const bool alone = (i == 0 || !std::isfinite(s.y[i - 1])) && (i + 1 == n || !std::isfinite(s.y[i + 1]));
      if (alone && std::isfinite(s.y[i])) fill_rect(image, px(s.x[i]) - 2, py(s.y[i]) - 2, px(s.x[i]) + 2, py(s.y[i]) + 2, s.color);
    }
  }
  draw_text(image, (width - text_width(title, 2)) / 2, 6, title, black, 2);
  draw_text(image, (left + right - text_width(x_label)) / 2, height - 18, x_label, black);
  draw_text(image, 4, top - 14, y_label, black);
  int legend_width = 0;
  for (const Series& s : series) legend_width = std::max(legend_width, text_width(s.name));
  const int lx = right - legend_width - 26;
  int ly = top + 8;
  for (const Series& s : series) {  // legend, top right
    fill_rect(image, lx, ly, lx + 12, ly + 6, s.color);
    draw_text(image, lx + 18, ly, s.name, black);
    ly += 14;
  }
  return image;
}

Color palette(int index) {
  static const Color colors[] = {{230, 25, 75},  {60, 180, 75},  {0, 130, 200},  {245, 130, 48}, {145, 30, 180},
                                 {70, 200, 200}, {240, 50, 230}, {150, 150, 20}, {0, 128, 128}, {170, 110, 40}};
  return colors[static_cast<size_t>(index) % (sizeof colors / sizeof colors[0])];
}

}  // namespace rcnn
