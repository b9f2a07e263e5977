#include "layers/checkpoint.h"

#include "layers/safetensors.h"

#include <iomanip>

namespace rcnn {

namespace {
const std::string kModel = "model.", kOptimizer = "optimizer.", kFormat = "rcnn.cpp checkpoint v1";

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }
}  // namespace

void save_checkpoint(const std::string& path, const Module& model, const optim::SGD& optimizer, int64_t step,
                     const Generator& gen) {
  NamedTensors tensors;
  for (const auto& [name, t] : model.named_parameters()) tensors.emplace_back(kModel + name, t);
  for (const auto& [name, t] : optimizer.state()) tensors.emplace_back(kOptimizer + name, t);
  Metadata meta{{"format", kFormat},
                {"step", std::to_string(step)},
                {"lr", concat_message(std::setprecision(17), optimizer.lr())},
                {"rng", gen.state()}};
  save_safetensors(path, tensors, meta);
}

int64_t load_checkpoint(const std::string& path, Module& model, optim::SGD& optimizer, Generator& gen) {
  Metadata meta;
  NamedTensors tensors = load_safetensors(path, &meta);
  check(meta["format"] == kFormat, "load_checkpoint: ", path, " is not an rcnn.cpp checkpoint (format '",
        meta["format"], "')");
  NamedTensors params, state;
  for (auto& [name, t] : tensors) {
    if (starts_with(name, kModel))
      params.emplace_back(name.substr(kModel.size()), t);
    else if (starts_with(name, kOptimizer))
      state.emplace_back(name.substr(kOptimizer.size()), t);
    else
      throw Error(concat_message("load_checkpoint: ", path, ": unexpected tensor '", name, "'"));
  }
  try {
    model.load_parameters(params);
    optimizer.load_state(state);
  } catch (const Error& e) {
    throw Error(concat_message("load_checkpoint: ", path, ": ", e.what()));
  }
  gen.set_state(meta["rng"]);
  optimizer.set_lr(std::stod(meta["lr"]));
  return std::stoll(meta["step"]);
}

}  // namespace rcnn
