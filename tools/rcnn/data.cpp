// rcnn data shapes|fashion-scenes|convert|stats: generate a data set, move it between layouts, describe it.
#include <iostream>
#include <memory>

#include "datasets/convert.h"
#include "datasets/data_folder.h"
#include "datasets/data_stats.h"
#include "datasets/generated.h"
#include "datasets/voc.h"
#include "tools/rcnn/commands.h"

namespace rcnn::cli {

void add_data_command(CLI::App& app) {
  auto* data = app.add_subcommand("data", "generate, convert and describe detection data sets (VOC or COCO layout)");
  data->require_subcommand(1);
  for (const std::string kind : {"shapes", "fashion-scenes"}) {
    auto options = std::make_shared<GenerateOptions>();
    auto format = std::make_shared<std::string>("voc");
    options->progress = true;
    auto* cmd = data->add_subcommand(kind, kind == "shapes" ? "circles, squares and triangles on textured backgrounds"
                                                            : "Fashion-MNIST items placed on cluttered canvases");
    cmd->add_option("--out", options->out_dir, "output folder")->required();
    cmd->add_option("--images", options->images, "number of images")->check(CLI::PositiveNumber);
    cmd->add_option("--seed", options->seed, "random seed: the same seed makes the same data set");
    cmd->add_option("--size", options->size, "canvas side in pixels")->check(CLI::Range(64, 4096));
    cmd->add_option("--format", *format, "the folder's layout: voc or coco")->check(CLI::IsMember({"voc", "coco"}));
    cmd->callback([options, kind, format] {
      const std::string out = options->out_dir;
      if (*format == "coco") options->out_dir = out + ".voc-tmp";  // generated in VOC's layout, then converted
      Dataset d = kind == "shapes" ? generate_shapes(*options) : generate_fashion_scenes(*options);
      if (*format == "coco") {
        convert_data(options->out_dir, out, DataFormat::Coco);
        std::filesystem::remove_all(options->out_dir);
      }
      size_t objects = 0;
      for (const Annotation& a : d.items) objects += a.objects.size();
      std::cout << "wrote " << d.items.size() << " images with " << objects << " objects of " << d.classes.size()
                << " classes to " << out << " (" << (*format == "coco" ? "COCO" : "VOC")
                << " layout; splits train, val, test, trainval)\n";
    });
  }
  struct ConvertOptions {
    std::string from, to, data, out;
  };
  auto c = std::make_shared<ConvertOptions>();
  auto* convert = data->add_subcommand("convert", "a data set from VOC's layout to COCO's or back, every split");
  convert->add_option("--from", c->from, "the layout of --data (found out when not given)")->check(CLI::IsMember({"voc", "coco"}));
  convert->add_option("--to", c->to, "the layout to write")->required()->check(CLI::IsMember({"voc", "coco"}));
  convert->add_option("--data", c->data, "the data set folder")->required()->check(CLI::ExistingDirectory);
  convert->add_option("--out", c->out, "the folder to write")->required();
  convert->callback([c] {
    const DataFormat found = data_format(c->data), to = c->to == "coco" ? DataFormat::Coco : DataFormat::Voc;
    check(c->from.empty() || (c->from == "coco") == (found == DataFormat::Coco), "convert: ", c->data, " is in ",
          format_name(found), " layout, not ", c->from == "coco" ? "COCO" : "VOC");
    const ConversionSummary r = convert_data(c->data, c->out, to);
    std::cout << "converted " << r.splits << " splits, " << r.images << " images, " << r.objects << " objects from "
              << format_name(found) << " (" << c->data << ") to " << format_name(to) << " (" << c->out << ")";
    if (r.crowds_left_out > 0) std::cout << "; " << r.crowds_left_out << " crowd regions left out (VOC has none)";
    if (r.reencoded > 0) std::cout << "; " << r.reencoded << " images re-encoded as JPEG";
    if (r.missing_images > 0) std::cout << "; " << r.missing_images << " images missing, not copied";
    std::cout << "\n";
  });
  auto dir = std::make_shared<std::string>();
  auto split = std::make_shared<std::string>();
  auto* stats = data->add_subcommand("stats", "images, objects per class and size, and what will train badly");
  stats->add_option("data", *dir, "the data set folder")->required()->check(CLI::ExistingDirectory);
  stats->add_option("--split", *split, "one split (default: every split)");
  stats->callback([dir, split] {
    const std::vector<std::string> splits = split->empty() ? data_splits(*dir) : std::vector<std::string>{*split};
    check(!splits.empty(), "stats: ", *dir, " holds no split (ImageSets/Main/<split>.txt or annotations/instances_<split>.json)");
    std::cout << *dir << ": " << format_name(data_format(*dir)) << " layout\n";
    for (const std::string& s : splits) std::cout << describe_data(read_dataset(*dir, s, DataPurpose::Evaluation), s);
  });
}

}  // namespace rcnn::cli
