#pragma once
// Drawing for every picture rcnn.cpp makes: rectangles, lines, text (stb_easy_font's bitmap font),
// grids of images, and line plots (loss curves, precision-recall curves).
#include <optional>
#include <string>
#include <vector>

#include "datasets/annotation.h"
#include "datasets/image.h"

namespace rcnn {

void fill_rect(Image& image, int x0, int y0, int x1, int y1, Color color);  // inclusive corners, clipped
void draw_rect(Image& image, int x0, int y0, int x1, int y1, Color color, int thickness = 1);
void draw_line(Image& image, int x0, int y0, int x1, int y1, Color color);
// Text with its top-left corner at (x, y); scale 1 is about 7 pixels tall. Returns the text width.
int draw_text(Image& image, int x, int y, const std::string& text, Color color, int scale = 1);
int text_width(const std::string& text, int scale = 1);

// A box outlined in `color` with `label` on a filled tab above it (inside the image when there is no
// room above). Coordinates are continuous pixels (datasets/annotation.h).
void draw_labelled_box(Image& image, const Box& box, const std::string& label, Color color, int thickness = 2);

// The label tabs drawn so far on one image. Given them, a labelled box puts its tab where no other tab
// is: above the box, else inside its top, else below it, else stacked further up; so the labels of
// boxes that start near one corner (a detection and its duplicate) stay readable.
struct LabelTabs {
  struct Tab {
    int x0, y0, x1, y1;  // inclusive
  };
  std::vector<Tab> drawn;
};
void draw_labelled_box(Image& image, const Box& box, const std::string& label, Color color, int thickness, LabelTabs& tabs);

// The images side by side in rows of `columns`, `gap` pixels apart, on white; each scaled by
// `zoom` (nearest neighbour) and, when labels are given, captioned underneath.
Image image_grid(const std::vector<Image>& images, int columns, int zoom = 1, int gap = 4,
                 const std::vector<std::string>& labels = {});

struct Series {
  std::string name;
  std::vector<double> x, y;
  Color color;
};
// Fixed axis ranges for a plot whose scale means something (precision and recall: 0 to 1).
struct PlotLimits {
  double x_min, x_max, y_min, y_max;
};
// Axes with ticks, one polyline per series, a legend, a title and axis labels; the ranges fit the data
// unless `limits` are given.
Image line_plot(const std::vector<Series>& series, const std::string& title, const std::string& x_label,
                const std::string& y_label, int width = 640, int height = 400,
                const std::optional<PlotLimits>& limits = std::nullopt);

// A colour per class index, distinct for neighbouring indices.
Color palette(int index);

}  // namespace rcnn
