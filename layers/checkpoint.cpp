#include "layers/checkpoint.h"

#include "layers/safetensors.h"

#include <iomanip>

namespace rcnn {

namespace {
const std::string kModel = "model.", kOptimizer = "optimizer.", kFormat = "rcnn.cpp checkpoint v1";

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

struct Contents {
  Metadata meta;
  NamedTensors params, state;
};

Contents read_checkpoint(const std::string& path) {
  Contents c;
  NamedTensors tensors = load_safetensors(path, &c.meta);
  check(c.meta["format"] == kFormat, path, " is not an rcnn.cpp checkpoint (format '", c.meta["format"], "')");
  for (auto& [name, t] : tensors) {
    if (starts_with(name, kModel))
      c.params.emplace_back(name.substr(kModel.size()), t);
    else if (starts_with(name, kOptimizer))
      c.state.emplace_back(name.substr(kOptimizer.size()), t);
    else
      throw Error(concat_message(path, ": unexpected tensor '", name, "'"));
  }
  return c;
}
}  // namespace

void save_checkpoint(const std::string& path, const Module& model, const optim::SGD& optimizer, int64_t step,
                     const Generator& gen, const Metadata& extra) {
  NamedTensors tensors;
  for (const auto& [name, t] : model.named_parameters()) tensors.emplace_back(kModel + name, t);
  for (const auto& [name, t] : optimizer.state()) tensors.emplace_back(kOptimizer + name, t);
  Metadata meta{{"format", kFormat},
                {"step", std::to_string(step)},
                {"lr", concat_message(std::setprecision(17), optimizer.lr())},
                {"rng", gen.state()}};
  meta.insert(extra.begin(), extra.end());
  save_safetensors(path, tensors, meta);
}

int64_t load_checkpoint(const std::string& path, Module& model, optim::SGD& optimizer, Generator& gen) {
  Contents c = read_checkpoint(path);
  try {
    model.load_parameters(c.params);
    optimizer.load_state(c.state);
  } catch (const Error& e) {
    throw Error(concat_message("load_checkpoint: ", path, ": ", e.what()));
  }
  gen.set_state(c.meta["rng"]);
  optimizer.set_lr(std::stod(c.meta["lr"]));
  return std::stoll(c.meta["step"]);
}

Metadata checkpoint_metadata(const std::string& path) { return read_checkpoint(path).meta; }

void load_checkpoint_model(const std::string& path, Module& model) {
  try {
    model.load_parameters(read_checkpoint(path).params);
  } catch (const Error& e) {
    throw Error(concat_message("load_checkpoint_model: ", path, ": ", e.what()));
  }
}

}  // namespace rcnn
