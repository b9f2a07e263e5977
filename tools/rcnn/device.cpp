// --device and --threads, shared by every command that runs a model.
#include "tools/rcnn/commands.h"

namespace rcnn::cli {

Device parse_device(const std::string& name) { return name == "cuda" ? Device::cuda() : kCPU; }

void add_device_options(CLI::App* cmd, std::string& device, int& threads) {
  cmd->add_option("--device", device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--threads", threads, "CPU threads (default: all cores)")->check(CLI::PositiveNumber);
}

}  // namespace rcnn::cli
