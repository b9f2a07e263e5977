// rcnn export: a trained detector as an ONNX file (export/, docs/export.md).
#include <filesystem>
#include <iostream>
#include <memory>

#include "export/onnx_detector.h"
#include "tools/rcnn/commands.h"

namespace rcnn::cli {

void add_export_command(CLI::App& app) {
  struct Options {
    std::string checkpoint, out;
    std::vector<std::string> overrides;
    onnx_export::ExportOptions exported;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("export", "the detector as an ONNX file, for onnxruntime and other runtimes (docs/export.md)");
  cmd->add_option("--checkpoint", o->checkpoint, "a detector: a run folder or its checkpoint file")->required();
  cmd->add_option("--out", o->out, "the .onnx file to write")->required();
  cmd->add_option("--height", o->exported.height, "the input image's height (0: the config's input.shorter_side)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--width", o->exported.width, "the input image's width (0: the config's input.shorter_side)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--opset", o->exported.opset, "the ONNX opset (16 or 17)");
  cmd->add_option("--set", o->overrides, "change a test setting of the checkpoint's config first: test.score_threshold=0.5");
  cmd->callback([o] {
    LoadedDetector d = load_detector(o->checkpoint, kCPU, o->overrides);
    const std::filesystem::path out(o->out);
    if (out.has_parent_path()) std::filesystem::create_directories(out.parent_path());
    const onnx_export::ExportSummary s = onnx_export::export_detector(d, o->out, o->exported);
    std::string ops;
    for (const std::string& op : s.op_types) ops += (ops.empty() ? "" : " ") + op;
    std::cout << o->out << ": " << d.info.config.backbone.name << (d.info.config.backbone.fpn_levels.empty() ? "" : " + FPN")
              << ", mode " << d.info.config.mode << ", input uint8 (" << s.height << ", " << s.width << ", 3) RGB, "
              << s.nodes << " nodes, " << s.bytes / (1 << 20) << " MiB, checked (ONNX checker, shape inference)\n"
              << "ops: " << ops << "\n";
  });
}

}  // namespace rcnn::cli
