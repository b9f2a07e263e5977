// Chapter 11 — data and evaluation. Generates the two VOC-layout data sets (and reads Pascal VOC when
// it is in data/VOCdevkit), draws a grid of annotated images from each, then scores hand-made
// detections with the VOC devkit's rules and draws what each detection counted as.
//   build/cpu/bin/11_data_and_evaluation [--out runs/11_data_and_evaluation] [--voc data/VOCdevkit/VOC2007]
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "datasets/draw.h"
#include "datasets/generated.h"
#include "datasets/transforms.h"
#include "datasets/voc.h"
#include "detection/coco_eval.h"
#include "detection/voc_eval.h"

using namespace rcnn;
namespace fs = std::filesystem;

// The first `count` images of a data set with their boxes and class names; difficult objects are
// drawn thin and marked.
static Image annotated_grid(const Dataset& data, size_t count) {
  std::vector<Image> tiles;
  std::vector<std::string> captions;
  for (size_t i = 0; i < data.items.size() && i < count; ++i) {
    const Annotation& a = data.items[i];
    Image image = load_image(a.image_path);
    for (const Object& o : a.objects)
      draw_labelled_box(image, o.box, o.name + (o.difficult ? " (difficult)" : ""), palette(static_cast<int>(o.label)),
                        o.difficult ? 1 : 2);
    if (image.width > 320) image = resize_bilinear(image, 320, image.height * 320 / image.width);
    tiles.push_back(image);
    captions.push_back(a.id + ": " + std::to_string(a.objects.size()) + " objects");
  }
  return image_grid(tiles, 4, 1, 6, captions);
}

static Dataset read_split(const std::string& dir, const std::string& split) {
  VocReadOptions options;
  options.classes = read_classes(dir);
  return read_voc(dir, split, options);
}

int main(int argc, char** argv) try {
  CLI::App app{"Chapter 11: data sets and VOC evaluation"};
  std::string out = "runs/11_data_and_evaluation", voc = "data/VOCdevkit/VOC2007";
  app.add_option("--out", out, "where the data sets and pictures go");
  app.add_option("--voc", voc, "a Pascal VOC folder to draw too, when present");
  CLI11_PARSE(app, argc, argv);
  fs::create_directories(out);

  // 1. The data sets, each in VOC's layout, read back by the one VOC reader.
  generate_shapes({out + "/shapes", 40, 1});
  generate_fashion_scenes({out + "/fashion-scenes", 40, 1});
  Dataset shapes = read_split(out + "/shapes", "test");
  save_png(annotated_grid(read_split(out + "/shapes", "train"), 8), out + "/shapes.png");
  save_png(annotated_grid(read_split(out + "/fashion-scenes", "train"), 8), out + "/fashion_scenes.png");
  std::cout << "wrote " << out << "/shapes.png and " << out << "/fashion_scenes.png\n";
  if (fs::exists(voc + "/ImageSets/Main/trainval.txt")) {
    save_png(annotated_grid(read_voc(voc, "trainval"), 8), out + "/voc.png");
    std::cout << "wrote " << out << "/voc.png\n";
  } else {
    std::cout << "(no Pascal VOC at " << voc << ": scripts/get-voc.sh fetches it)\n";
  }

  // What the loader does to an image before the network sees it (datasets/transforms.h): resize so the
  // shorter side is 600 and the longer at most 1 000, flip half the time, the boxes following exactly.
  {
    const Annotation& a = shapes.items.front();
    const Image original = load_image(a.image_path);
    const float scale = resize_scale(original.width, original.height, 600, 1000);
    const Image resized = resize_bilinear(original, static_cast<int>(original.width * scale + 0.5f),
                                          static_cast<int>(original.height * scale + 0.5f));
    Image shown = original, big = resized, flipped = flip_horizontal(resized);
    for (const Object& o : a.objects) {
      draw_labelled_box(shown, o.box, o.name, palette(static_cast<int>(o.label)), 1);
      draw_labelled_box(big, scale_box(o.box, scale), o.name, palette(static_cast<int>(o.label)), 2);
      draw_labelled_box(flipped, flip_box(scale_box(o.box, scale), resized.width), o.name, palette(static_cast<int>(o.label)), 2);
    }
    char caption[64];
    std::snprintf(caption, sizeof caption, "resized x%.3f to %dx%d", scale, resized.width, resized.height);
    save_png(image_grid({shown, big, flipped}, 3, 1, 6, {a.id + " as stored", caption, "and flipped"}),
             out + "/transforms.png");
    std::printf("the loader's view of %s: %dx%d resized by %.4f to %dx%d (shorter side 600), then flipped\n",
                a.id.c_str(), original.width, original.height, scale, resized.width, resized.height);
  }

  // 2. Hand-made detections for the shapes test images: for each object a good box (score 0.9), a
  //    second box on the same object, shifted by a tenth of its size (0.8), and a box shifted by most
  //    of its width (0.3). The last
  //    object of each class gets its good box only at score 0.5, after every duplicate.
  std::vector<const Object*> last_of_class(shapes.classes.size(), nullptr);
  for (const Annotation& a : shapes.items)
    for (const Object& o : a.objects) last_of_class[o.label] = &o;
  std::vector<Detection> detections;
  for (const Annotation& a : shapes.items)
    for (const Object& o : a.objects) {
      const float w = o.box.width();
      detections.push_back({a.id, o.label, &o == last_of_class[o.label] ? 0.5f : 0.9f, o.box});
      const float dx = 0.1f * w, dy = 0.1f * o.box.height();  // IoU about 0.68: still a match
      detections.push_back({a.id, o.label, 0.8f, {o.box.x1 + dx, o.box.y1 + dy, o.box.x2 + dx, o.box.y2 + dy}});
      detections.push_back({a.id, o.label, 0.3f, {o.box.x1 + 0.7f * w, o.box.y1, o.box.x2 + 0.7f * w, o.box.y2}});
    }
  VocEvaluation e = evaluate_voc(shapes, detections, /*use_07_metric=*/true);

  // 3. The picture: each detection in the colour of its verdict, ground truth in white.
  std::vector<Image> tiles;
  std::vector<std::string> captions;
  size_t d = 0;
  for (const Annotation& a : shapes.items) {
    // Drawn at twice the size (the image enlarged, the boxes scaled), so the labels have room.
    const Image original = load_image(a.image_path);
    Image image = resize_bilinear(original, original.width * 2, original.height * 2);
    const size_t first = d;
    LabelTabs tabs;  // a box and its duplicate start at one corner: each label gets a place of its own
    while (d < detections.size() && detections[d].image_id == a.id) ++d;
    for (bool true_positives : {false, true})  // true positives last, on top
      for (size_t k = first; k < d; ++k) {
        const Verdict v = e.verdicts[k];
        if ((v == Verdict::TruePositive) != true_positives) continue;
        const Color c = v == Verdict::TruePositive ? Color{40, 200, 40} : v == Verdict::FalsePositive ? Color{230, 30, 30} : Color{255, 190, 0};
        const std::string label = v == Verdict::TruePositive ? "TP" : v == Verdict::FalsePositive ? "FP" : "ignored";
        draw_labelled_box(image, scale_box(detections[k].box, 2), label + " " + std::to_string(detections[k].score).substr(0, 3), c, 1, tabs);
      }
    // Ground truth on top, framed 2 pixels outside its box so the exact detection under it stays visible.
    for (const Object& o : a.objects) {
      const Box b = scale_box(o.box, 2);
      draw_rect(image, int(b.x1) - 2, int(b.y1) - 2, int(b.x2) + 1, int(b.y2) + 1, {255, 255, 255}, 1);
      if (o.difficult) draw_text(image, int(b.x1), int(b.y2) + 3, "difficult", {255, 255, 255});
    }
    tiles.push_back(image);
    captions.push_back(a.id);
  }
  save_png(image_grid(tiles, 2, 1, 6, captions), out + "/verdicts.png");
  for (const ClassAP& c : e.classes) save_png(precision_recall_plot(c), out + "/pr_" + c.name + ".png");
  write_voc_results(out + "/results", "test", shapes.classes, detections);
  std::cout << "wrote " << out << "/verdicts.png (green TP, red FP, amber ignored: none here, no test object is difficult), pr_<class>.png, and results/"
            << "comp4_det_test_<class>.txt\n\n";
  std::cout << "Every object has a good box (TP), a second box on it (a duplicate: FP) and a shifted box\n"
            << "(IoU below 0.5: FP); boxes on difficult objects count as neither and those objects are not\n"
            << "positives. The last object of each class has its exact box only at score 0.5: its second box\n"
            << "(0.8, shifted by a tenth, IoU 0.68 > 0.5) finds it first, after the other objects' duplicates, and the\n"
            << "exact box becomes the duplicate. Per class the ranking is TP TP FP FP TP ...: recall reaches 1\n"
            << "at precision 3/5, and the 11-point AP = (7 x 1 + 4 x 0.6) / 11 = 0.8545.\n\n";
  std::cout << format_evaluation(e);

  // 4. The same detections under COCO's metric (detection/coco_eval.h), as `rcnn eval --metric coco` scores them.
  std::cout << "\nCOCO's metric on the same detections: AP averaged over IoU thresholds 0.50, 0.55, ..., 0.95,\n"
            << "101 recall points, difficult objects counted as objects, by object size, and recall (AR):\n"
            << format_coco_evaluation(evaluate_coco(shapes, detections));
  return 0;
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
