// datasets/: images, drawing, transforms, the VOC reader and its bad inputs, the generated data sets
// (round trip through the reader), the loader, Fashion-MNIST.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <stb/stb_image_write.h>

#include "datasets/batches.h"
#include "datasets/data_stats.h"
#include "datasets/draw.h"
#include "datasets/fashion_mnist.h"
#include "datasets/generated.h"
#include "datasets/loader.h"
#include "datasets/voc.h"
#include "ops/ops.h"
#include "tests/files.h"
#include "tests/helpers.h"

using namespace rcnn;
using rcnn::testing::read_file;
using rcnn::testing::TempDir;
using rcnn::testing::write_file;
namespace fs = std::filesystem;

namespace {

std::string voc_xml(const std::string& objects, const std::string& size = "<width>100</width><height>80</height>") {
  return "<annotation><filename>x.jpg</filename><size>" + size + "<depth>3</depth></size>" + objects +
         "</annotation>";
}

std::string voc_object(const std::string& name, const std::string& box, const std::string& extra = "") {
  return "<object><name>" + name + "</name>" + extra + "<bndbox>" + box + "</bndbox></object>";
}

const std::vector<std::string> kTwo = {"cat", "dog"};

}  // namespace

TEST_CASE("images: PNG round trip, grey and RGBA become RGB, bad files name themselves") {
  TempDir dir("images");
  Image im(5, 3, {10, 20, 30});
  im.pixel(4, 2)[0] = 255;
  save_png(im, dir / "a.png");
  Image back = load_image(dir / "a.png");
  CHECK(back.width == 5);
  CHECK(back.height == 3);
  CHECK(back.rgb == im.rgb);
  save_jpeg(im, dir / "a.jpg", 95);
  Image jpeg = load_image(dir / "a.jpg");
  CHECK(std::abs(jpeg.pixel(0, 0)[2] - 30) < 8);
  const uint8_t grey_pixels[4] = {0, 80, 160, 240}, rgba_pixels[8] = {10, 20, 30, 0, 40, 50, 60, 255};
  REQUIRE(stbi_write_png((dir / "grey.png").c_str(), 2, 2, 1, grey_pixels, 2) != 0);
  REQUIRE(stbi_write_png((dir / "rgba.png").c_str(), 2, 1, 4, rgba_pixels, 8) != 0);
  Image grey = load_image(dir / "grey.png");
  CHECK(grey.rgb == std::vector<uint8_t>{0, 0, 0, 80, 80, 80, 160, 160, 160, 240, 240, 240});
  Image rgba = load_image(dir / "rgba.png");  // alpha is dropped, colour kept
  CHECK(rgba.rgb == std::vector<uint8_t>{10, 20, 30, 40, 50, 60});
  CHECK_THROWS_WITH_AS(load_image(dir / "missing.png"), doctest::Contains("missing.png"), Error);
  write_file(dir / "bad.jpg", "\xFF\xD8\xFF\xE0 this is not a JPEG");
  CHECK_THROWS_WITH_AS(load_image(dir / "bad.jpg"), doctest::Contains("bad.jpg: a JPEG (by its first bytes) whose header is cut short or corrupt"), Error);
  write_file(dir / "notes.png", "just text");
  CHECK_THROWS_WITH_AS(load_image(dir / "notes.png"), doctest::Contains("notes.png: not an image stb_image reads"), Error);
  {  // a truncated JPEG once failed with the PNG decoder's "bad png sig"
    Image big(64, 48, {90, 120, 30});
    save_jpeg(big, dir / "big.jpg", 90);
    write_file(dir / "cut.jpg", read_file(dir / "big.jpg").substr(0, 300));
    const std::string expected = "load_image: cannot decode " + (dir / "cut.jpg") +
                                 ": a 64x48 JPEG whose data is cut short or corrupt (300 bytes)";
    CHECK_THROWS_WITH_AS(load_image(dir / "cut.jpg"), expected.c_str(), Error);
  }
  const std::string bytes = read_file(dir / "a.jpg");
  write_file(dir / "truncated.jpg", bytes.substr(0, bytes.size() / 3));
  // stb fills a truncated JPEG's missing part instead of failing; what matters is no crash and the right size.
  try {
    Image t = load_image(dir / "truncated.jpg");
    CHECK(t.width == 5);
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("truncated.jpg") != std::string::npos);
  }
}

TEST_CASE("images: a JPEG whose Huffman table declares too many codes is rejected before stb reads it") {
  TempDir dir("huffman");
  save_jpeg(Image(16, 16, {10, 200, 30}), dir / "ok.jpg");
  std::string bytes = read_file(dir / "ok.jpg");
  const size_t dht = bytes.find("\xFF\xC4");
  REQUIRE(dht != std::string::npos);
  for (int i = 0; i < 16; ++i) bytes[dht + 5 + i] = '\x20';  // 16 x 32 = 512 codes
  write_file(dir / "evil.jpg", bytes);
  CHECK_THROWS_WITH_AS(load_image(dir / "evil.jpg"), doctest::Contains("declares 512 codes"), Error);
  CHECK(load_image(dir / "ok.jpg").width == 16);
  // The inputs the fuzzer found (a table cut by the end of the file; fill bytes before the start marker).
  for (const char* found : {"fuzz/corpus/image/dht_overflow.jpg", "fuzz/corpus/image/dht_overflow_fill.jpg"})
    CHECK_THROWS_WITH_AS(load_image(found), doctest::Contains("Huffman table"), Error);
}

// Chapter 11's verdicts: a detection and its duplicate start at nearly one corner; their label tabs
// must not cover each other (they did), and each stays inside the image.
// `rcnn data stats` once counted difficult objects among those the VOC evaluation looks for (square 119
// against the 117 `rcnn eval` counts): they have a column of their own, as crowds do.
TEST_CASE("data stats: difficult objects and crowds in columns of their own") {
  Dataset d;
  d.classes = {"square"};
  Annotation a;
  a.id = "1";
  a.width = a.height = 200;
  for (int i = 0; i < 4; ++i) {
    Object o;
    o.label = 0;
    o.box = {10.0 * i, 10, 10.0 * i + 40, 50};  // 40 x 40: medium
    o.difficult = i == 1;
    o.crowd = i == 2;
    a.objects.push_back(o);
  }
  d.items.push_back(a);
  const std::string text = describe_data(d, "test");
  CHECK(text.find("  square                      4        0        2        0        1         1\n") != std::string::npos);
  CHECK(text.find("the 1 difficult objects, which the VOC evaluation neither counts nor penalises") != std::string::npos);
}

TEST_CASE("drawing: labels of boxes that start at one corner get tabs of their own") {
  Image im(120, 80);
  LabelTabs tabs;
  draw_labelled_box(im, {20, 30, 70, 70}, "TP 0.9", {40, 200, 40}, 1, tabs);
  draw_labelled_box(im, {22, 32, 72, 72}, "FP 0.8", {230, 30, 30}, 1, tabs);
  draw_labelled_box(im, {0, 0, 30, 20}, "FP 0.3", {230, 30, 30}, 1, tabs);  // no room above: inside the top
  REQUIRE(tabs.drawn.size() == 3);
  for (size_t i = 0; i < tabs.drawn.size(); ++i) {
    const LabelTabs::Tab& a = tabs.drawn[i];
    CHECK((a.x0 >= 0 && a.y0 >= 0 && a.x1 < im.width && a.y1 < im.height));
    for (size_t j = 0; j < i; ++j) {
      const LabelTabs::Tab& b = tabs.drawn[j];
      CHECK_FALSE((a.x0 <= b.x1 && b.x0 <= a.x1 && a.y0 <= b.y1 && b.y0 <= a.y1));
    }
  }
  CHECK(tabs.drawn[0].y1 == 29);  // the first: right above its box
  CHECK(tabs.drawn[2].y0 == 0);
  CHECK(im.pixel(tabs.drawn[0].x0 + 1, tabs.drawn[0].y1)[1] == 200);  // each tab in its box's colour
  CHECK(im.pixel(tabs.drawn[1].x0 + 1, tabs.drawn[1].y1)[0] == 230);
}

TEST_CASE("drawing: rectangles, text, grids and plots") {
  Image im(40, 30);
  draw_rect(im, 5, 5, 20, 15, {255, 0, 0}, 2);
  CHECK(im.pixel(5, 10)[0] == 255);
  CHECK(im.pixel(6, 10)[1] == 0);
  CHECK(im.pixel(10, 10)[1] == 255);  // inside stays white
  fill_rect(im, -5, -5, 100, 2, {0, 0, 0});  // clipped, no crash
  CHECK(im.pixel(39, 2)[0] == 0);
  Image text(60, 12);
  const int width = draw_text(text, 1, 1, "AP 0.5", {0, 0, 0});
  CHECK(width > 20);
  int dark = 0;
  for (size_t i = 0; i < text.rgb.size(); i += 3) dark += text.rgb[i] == 0;
  CHECK(dark > 20);
  Image grid = image_grid({Image(10, 8), Image(10, 8), Image(10, 8)}, 2, 2, 4);
  CHECK(grid.width == 2 * (20 + 4) + 4);
  CHECK(grid.height == 2 * (16 + 4) + 4);
  Image plot = line_plot({{"loss", {0, 1, 2}, {3, 2, 1}, palette(0)}}, "t", "x", "y", 300, 200);
  CHECK(plot.width == 300);
  // A series of one point (chapter 04's test loss after one epoch) shows as a dot, not as nothing.
  const Color test_colour{200, 30, 160};
  auto pixels_of = [](const Image& image, Color c) {
    int n = 0;
    for (size_t i = 0; i < image.rgb.size(); i += 3) n += image.rgb[i] == c.r && image.rgb[i + 1] == c.g && image.rgb[i + 2] == c.b;
    return n;
  };
  const Image with_point = line_plot({{"loss", {0, 1, 2}, {3, 2, 1}, palette(0)}, {"test", {2}, {1.5}, test_colour}}, "t", "x", "y", 300, 200);
  const Image legend_only = line_plot({{"loss", {0, 1, 2}, {3, 2, 1}, palette(0)}, {"test", {}, {}, test_colour}}, "t", "x", "y", 300, 200);
  CHECK(pixels_of(with_point, test_colour) >= pixels_of(legend_only, test_colour) + 20);  // a 5 x 5 dot, at least partly inside
}

TEST_CASE("transforms: the 600/1000 resize rule, bilinear resize, exact flips, normalisation") {
  CHECK(resize_scale(500, 375, 600, 1000) == doctest::Approx(1.6));
  CHECK(resize_scale(2000, 500, 600, 1000) == doctest::Approx(0.5));  // the longer side wins
  Image flat(7, 5, {100, 150, 200});
  Image resized = resize_bilinear(flat, 13, 9);
  CHECK(resized.pixel(12, 8)[1] == 150);
  Image two(2, 1, {0, 0, 0});
  two.pixel(1, 0)[0] = 200;
  CHECK(resize_bilinear(two, 1, 1).pixel(0, 0)[0] == 100);  // the average of both
  // A flipped box covers exactly the flipped pixels: paint box [2, 5) x [1, 3) in a 10-wide image.
  Image im(10, 4, {0, 0, 0});
  fill_rect(im, 2, 1, 4, 2, {255, 255, 255});
  Image flipped = flip_horizontal(im);
  Box b = flip_box({2, 1, 5, 3}, 10);
  CHECK(b == Box{5, 1, 8, 3});
  for (int x = 0; x < 10; ++x) CHECK((flipped.pixel(x, 1)[0] == 255) == (x >= b.x1 && x < b.x2));
  CHECK(flip_box(flip_box({1.5f, 2, 7, 3}, 10), 10) == Box{1.5f, 2, 7, 3});
  Tensor t = normalize(Image(1, 1, {255, 0, 128}), {0.5f, 0.5f, 0.5f}, {0.5f, 0.25f, 1});
  rcnn::testing::check_values(t, {1, -2, 128 / 255.0 - 0.5}, 1e-6);
}

TEST_CASE("VOC annotations: 1-based pixels become continuous boxes; optional fields may be missing") {
  std::vector<std::string> warnings;
  Annotation a = parse_voc_annotation(
      voc_xml(voc_object("dog", "<xmin>1</xmin><ymin>2</ymin><xmax>10</xmax><ymax>20</ymax>",
                         "<difficult>1</difficult><truncated>1</truncated>") +
              voc_object("cat", "<xmin>5.0</xmin><ymin>5</ymin><xmax>100</xmax><ymax>80</ymax>")),
      "t.xml", kTwo, warnings);
  CHECK(a.width == 100);
  REQUIRE(a.objects.size() == 2);
  CHECK(a.objects[0].label == 1);
  CHECK(a.objects[0].box == Box{0, 1, 10, 20});  // pixels 1..10 span [0, 10)
  CHECK(a.objects[0].difficult);
  CHECK(a.objects[0].truncated);
  CHECK_FALSE(a.objects[1].difficult);  // no <difficult>: 0
  CHECK(a.objects[1].box == Box{4, 4, 100, 80});
  CHECK(warnings.empty());
  CHECK(parse_voc_annotation(voc_xml(""), "empty.xml", kTwo, warnings).objects.empty());  // no objects is fine
}

TEST_CASE("VOC annotations: bad input is an error naming file and field, or a warned skip") {
  std::vector<std::string> w;
  const std::string box = "<xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax>";
  CHECK_THROWS_WITH_AS(parse_voc_annotation("<annotation><size>", "broken.xml", kTwo, w),
                       doctest::Contains("broken.xml: malformed XML"), Error);
  CHECK_THROWS_WITH_AS(parse_voc_annotation("<other/>", "o.xml", kTwo, w), doctest::Contains("no <annotation>"), Error);
  CHECK_THROWS_WITH_AS(parse_voc_annotation(voc_xml("", "<width>10</width>"), "s.xml", kTwo, w),
                       doctest::Contains("s.xml: <size> has no <height>"), Error);
  CHECK_THROWS_WITH_AS(parse_voc_annotation(voc_xml("", "<width>0</width><height>5</height>"), "z.xml", kTwo, w),
                       doctest::Contains("not a valid size"), Error);
  CHECK_THROWS_WITH_AS(parse_voc_annotation(voc_xml("<object><bndbox>" + box + "</bndbox></object>"), "n.xml", kTwo, w),
                       doctest::Contains("n.xml: object 0 has no <name>"), Error);
  CHECK_THROWS_WITH_AS(parse_voc_annotation(voc_xml("<object><name>cat</name></object>"), "b.xml", kTwo, w),
                       doctest::Contains("has no <bndbox>"), Error);
  CHECK_THROWS_WITH_AS(
      parse_voc_annotation(voc_xml(voc_object("cat", "<xmin>1</xmin><ymin>1</ymin><xmax>5</xmax>")), "m.xml", kTwo, w),
      doctest::Contains("m.xml: object 0 <bndbox> has no <ymax>"), Error);
  CHECK_THROWS_WITH_AS(
      parse_voc_annotation(voc_xml(voc_object("cat", "<xmin>a</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax>")),
                           "x.xml", kTwo, w),
      doctest::Contains("<xmin> in object 0 <bndbox> is 'a', not a number"), Error);

  w.clear();
  Annotation a = parse_voc_annotation(
      voc_xml(voc_object("cat", "<xmin>-5</xmin><ymin>1</ymin><xmax>500</xmax><ymax>5</ymax>") +  // clipped
              voc_object("dog", "<xmin>8</xmin><ymin>8</ymin><xmax>3</xmax><ymax>9</ymax>") +     // inverted
              voc_object("dog", "<xmin>4</xmin><ymin>4</ymin><xmax>3</xmax><ymax>4</ymax>") +     // zero area
              voc_object("horse", box)),                                                          // unknown
      "w.xml", kTwo, w);
  REQUIRE(a.objects.size() == 1);
  CHECK(a.objects[0].box == Box{0, 0, 100, 5});
  REQUIRE(w.size() == 4);
  CHECK(w[0].find("clipped") != std::string::npos);
  CHECK(w[1].find("no area") != std::string::npos);
  CHECK(w[3].find("unknown class 'horse'") != std::string::npos);
}

TEST_CASE("VOC folders: missing lists, annotations and images") {
  TempDir dir("voc_folder");
  CHECK_THROWS_WITH_AS(read_voc(dir.path.string(), "train"), doctest::Contains("train.txt"), Error);
  write_file(dir / "ImageSets/Main/empty.txt", "");
  CHECK_THROWS_WITH_AS(read_voc(dir.path.string(), "empty"), doctest::Contains("lists no usable images"), Error);
  write_file(dir / "ImageSets/Main/train.txt", "000001\n000002\n");
  CHECK_THROWS_WITH_AS(read_voc(dir.path.string(), "train"), doctest::Contains("000001.xml"), Error);
  const std::string obj = voc_object("cat", "<xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax>");
  write_file(dir / "Annotations/000001.xml", voc_xml(obj));
  write_file(dir / "Annotations/000002.xml", voc_xml(obj));
  fs::create_directories(dir.path / "JPEGImages");
  save_jpeg(Image(100, 80), dir / "JPEGImages/000001.jpg");
  VocReadOptions options;
  options.classes = kTwo;
  CHECK_THROWS_WITH_AS(read_voc(dir.path.string(), "train", options), doctest::Contains("000002.jpg is missing"), Error);
  options.missing_image = OnMissingImage::WarnAndSkip;
  rcnn::testing::CapturedStderr warnings;
  Dataset d = read_voc(dir.path.string(), "train", options);
  CHECK(warnings.str() == "warning: " + (dir / "JPEGImages/000002.jpg") + ": image missing, skipped\n");
  REQUIRE(d.items.size() == 1);
  CHECK(d.items[0].id == "000001");
}

TEST_CASE("VOC flags: 0/1 and false/true are read, anything else names file and field") {
  std::vector<std::string> w;
  const std::string box = "<xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax>";
  Annotation a = parse_voc_annotation(voc_xml(voc_object("cat", box, "<difficult>true</difficult>") +
                                              voc_object("cat", box, "<difficult> 0 </difficult><truncated>false</truncated>")),
                                      "f.xml", kTwo, w);
  CHECK(a.objects[0].difficult);
  CHECK_FALSE(a.objects[1].difficult);
  CHECK_THROWS_WITH_AS(parse_voc_annotation(voc_xml(voc_object("cat", box, "<difficult>yes</difficult>")), "y.xml", kTwo, w),
                       doctest::Contains("y.xml: <difficult> in object 0 is 'yes'"), Error);
}

TEST_CASE("VOC for evaluation: boxes as annotated, no images needed") {
  std::vector<std::string> w;
  const std::string xml = voc_xml(voc_object("cat", "<xmin>-5</xmin><ymin>1</ymin><xmax>500</xmax><ymax>5</ymax>") +
                                  voc_object("dog", "<xmin>8</xmin><ymin>8</ymin><xmax>3</xmax><ymax>9</ymax>"));
  Annotation raw = parse_voc_annotation(xml, "r.xml", kTwo, w, /*clip_boxes=*/false);
  REQUIRE(raw.objects.size() == 2);  // neither clipped nor dropped: the devkit scores them as written
  CHECK(raw.objects[0].box == Box{-6, 0, 500, 5});
  CHECK(raw.objects[1].box == Box{7, 7, 3, 9});
  CHECK(w.empty());
}

TEST_CASE("data set text files: CRLF, trailing spaces and a byte-order mark are not part of a name") {
  TempDir dir("voc_text");
  write_file(dir / "classes.txt", "\xEF\xBB\xBF" "cat\r\ndog \r\n\r\n");
  CHECK(read_classes(dir.path.string()) == kTwo);
  write_file(dir / "ImageSets/Main/test.txt", "\xEF\xBB\xBF" "000001\r\n 000002 \r\n");
  write_file(dir / "Annotations/000001.xml", voc_xml(voc_object("dog\r", "<xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax>")));
  write_file(dir / "Annotations/000002.xml", voc_xml(""));
  VocReadOptions options;
  options.classes = kTwo;
  options.missing_image = OnMissingImage::Ignore;
  Dataset d = read_voc(dir.path.string(), "test", options);
  REQUIRE(d.items.size() == 2);
  CHECK(d.items[1].id == "000002");
  CHECK(d.items[0].objects.at(0).label == 1);
  // What cannot be trimmed is shown: a byte-order mark inside an id is written out in the message.
  write_file(dir / "ImageSets/Main/odd.txt", "00\xEF\xBB\xBF" "0003\n");
  CHECK_THROWS_WITH_AS(read_voc(dir.path.string(), "odd", options), doctest::Contains("00\\ufeff0003.xml"), Error);
}

TEST_CASE("generated shapes round-trip exactly through the VOC reader and are deterministic") {
  TempDir a("shapes_a"), b("shapes_b");
  Dataset made = generate_shapes({a.path.string(), 30, 7});
  generate_shapes({b.path.string(), 30, 7});
  VocReadOptions options;
  options.classes = read_classes(a.path.string());
  CHECK(options.classes == shapes_classes());
  std::vector<Annotation> read;
  for (const char* split : {"train", "val", "test"})
    for (Annotation& item : read_voc(a.path.string(), split, options).items) read.push_back(item);
  REQUIRE(read.size() == made.items.size());
  std::sort(read.begin(), read.end(), [](const Annotation& x, const Annotation& y) { return x.id < y.id; });
  int objects = 0, difficult = 0, truncated = 0;
  for (size_t i = 0; i < read.size(); ++i) {
    const Annotation &m = made.items[i], &r = read[i];
    CHECK(r.id == m.id);
    CHECK(r.width == 256);
    REQUIRE(r.objects.size() == m.objects.size());
    for (size_t k = 0; k < m.objects.size(); ++k) {
      CHECK(r.objects[k].box == m.objects[k].box);
      CHECK(r.objects[k].label == m.objects[k].label);
      CHECK(r.objects[k].difficult == m.objects[k].difficult);
      CHECK(r.objects[k].truncated == m.objects[k].truncated);
      CHECK(m.objects[k].box.width() >= 4);
      ++objects, difficult += m.objects[k].difficult, truncated += m.objects[k].truncated;
    }
  }
  CHECK(objects >= 30);
  CHECK(difficult > 0);  // overlaps happen
  CHECK(truncated > 0);  // and borders cut shapes
  CHECK(read_file(a / "JPEGImages/000011.jpg") == read_file(b / "JPEGImages/000011.jpg"));
  CHECK(read_file(a / "Annotations/000011.xml") == read_file(b / "Annotations/000011.xml"));
  CHECK(read_voc(a.path.string(), "trainval", options).items.size() == 27);
}

TEST_CASE("generated fashion-scenes: 10 real-image classes in the same layout") {
  TempDir dir("fashion_scenes");
  Dataset made = generate_fashion_scenes({dir.path.string(), 10, 3});
  VocReadOptions options;
  options.classes = read_classes(dir.path.string());
  CHECK(options.classes.size() == 10);
  Dataset back = read_voc(dir.path.string(), "train", options);
  CHECK(back.items.size() == 8);
  CHECK(back.items[0].objects.size() == made.items[0].objects.size());
}

TEST_CASE("FashionItemRenderer: one item per image, labelled, normalised, the same for a seed") {
  const FashionItemRenderer train(48), test(48, "test");
  CHECK(train.class_names().size() == 10);
  Generator a(5), b(5), c(6);
  const LabelledImages x = train.render(6, a), y = train.render(6, b), z = train.render(6, c), t = test.render(6, a);
  CHECK(x.images.shape() == Shape{6, 3, 48, 48});
  CHECK(x.labels.shape() == Shape{6});
  for (int64_t label : x.labels.to_vector<int64_t>()) CHECK((label >= 0 && label < 10));
  auto differ = [](const Tensor& p, const Tensor& q) { return max(abs(p - q)).item(); };
  CHECK(differ(x.images, y.images) == 0);
  CHECK(x.labels.to_vector<int64_t>() == y.labels.to_vector<int64_t>());
  CHECK(differ(x.images, z.images) > 1);
  CHECK(t.images.shape() == Shape{6, 3, 48, 48});
  // Normalised as the detector's input (ImageNet mean and std): values well beyond [0, 1].
  CHECK(-max(-x.images).item() < -0.5);
  CHECK(max(x.images).item() > 1.0);
  CHECK_THROWS_WITH(FashionItemRenderer(16), "FashionItemRenderer: 16 px images (need at least 32)");
}

TEST_CASE("loader: every image once per epoch, reproducible order and flips, boxes follow the image") {
  TempDir dir("loader");
  Dataset data = generate_shapes({dir.path.string(), 12, 5});
  LoaderOptions options;
  options.shorter_side = 128;
  options.longer_side = 200;
  options.seed = 11;
  auto run = [&](int64_t epoch) {
    Loader loader(data, options);
    loader.start_epoch(epoch);
    std::vector<std::pair<std::string, bool>> seen;
    Sample s;
    while (loader.next(s)) {
      CHECK(s.image.shape() == Shape{3, 128, 128});
      CHECK(s.scale == doctest::Approx(0.5));
      seen.emplace_back(s.id, s.flipped);
      const Annotation& item = *std::find_if(data.items.begin(), data.items.end(), [&](auto& a) { return a.id == s.id; });
      REQUIRE(s.boxes.size() == item.objects.size());
      for (size_t k = 0; k < s.boxes.size(); ++k) {
        Box expect = scale_box(s.flipped ? flip_box(item.objects[k].box, 256) : item.objects[k].box, 0.5f);
        CHECK(s.boxes[k] == expect);
      }
    }
    return seen;
  };
  auto first = run(0), again = run(0), other = run(1);
  CHECK(first.size() == 12);
  CHECK(first == again);
  CHECK(first != other);
  std::set<std::string> ids;
  for (auto& [id, flipped] : first) ids.insert(id);
  CHECK(ids.size() == 12);
  {  // destroyed mid-epoch: the worker stops
    Loader loader(data, options);
    loader.start_epoch(0);
    Sample s;
    loader.next(s);
  }
  fs::remove(dir / "JPEGImages/000003.jpg");
  Loader broken(data, options);
  broken.start_epoch(0);
  Sample s;
  CHECK_THROWS_WITH_AS(
      [&] {
        while (broken.next(s)) {
        }
      }(),
      doctest::Contains("000003.jpg"), Error);
}

TEST_CASE("epoch batches cover every index once") {
  Generator gen(1);
  auto batches = epoch_batches(10, 4, true, gen);
  REQUIRE(batches.size() == 3);
  CHECK(batches[2].size() == 2);
  std::vector<int64_t> all;
  for (auto& b : batches) all.insert(all.end(), b.begin(), b.end());
  std::sort(all.begin(), all.end());
  CHECK(all == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

TEST_CASE("Fashion-MNIST from Debian's package") {
  auto test = load_fashion_mnist("test");
  CHECK(test.images.shape() == Shape{10000, 1, 28, 28});
  CHECK(test.labels.at({0}) == 9);  // the first test image is an ankle boot
  CHECK(max(test.images).item() <= 1.0);
  CHECK(test.class_names[9] == "Ankle boot");
  CHECK_THROWS_WITH_AS(load_fashion_mnist("test", "/nonexistent"), doctest::Contains("make deps"), Error);
  CHECK_THROWS_WITH_AS(load_fashion_mnist("validation"), doctest::Contains("not train or test"), Error);
}
