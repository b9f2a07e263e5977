#pragma once
// The `rcnn` command's pieces (tools/rcnn/): one file per subcommand, each adding itself to the CLI11
// app; main.cpp runs the one asked for and turns every error into one line and an exit code.
#include <CLI/CLI.hpp>
#include <string>

#include "core/tensor.h"

namespace rcnn::cli {

// Exit code of a run stopped by Ctrl-C after saving its state (128 + SIGINT, the shell's convention).
constexpr int kInterruptedExit = 130;
constexpr int kUsageExit = 2;  // a command line rcnn cannot read (as an unknown command)

void add_data_command(CLI::App& app);
void add_pretrain_command(CLI::App& app, int& exit_code);
void add_train_command(CLI::App& app, int& exit_code);
void add_eval_command(CLI::App& app);
void add_predict_command(CLI::App& app, int& exit_code);
void add_serve_command(CLI::App& app);
void add_export_command(CLI::App& app);  // export/: the detector as an ONNX file

// --device cpu|cuda and --threads N, as every command that runs a model takes them.
void add_device_options(CLI::App* cmd, std::string& device, int& threads);
Device parse_device(const std::string& name);

}  // namespace rcnn::cli
