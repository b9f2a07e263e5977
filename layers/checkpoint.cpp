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

// What a caller needs: the weights, the optimizer's state, or (neither) the metadata alone.
Contents read_checkpoint(const std::string& path, bool params, bool state) {
  Contents c;
  std::string unexpected;
  NamedTensors tensors = load_safetensors(path, &c.meta, [&](const std::string& name) {
    if (starts_with(name, kModel)) return params;
    if (starts_with(name, kOptimizer)) return state;
    if (unexpected.empty()) unexpected = name;
    return false;
  });
  check(c.meta["format"] == kFormat, path, " is not an rcnn.cpp checkpoint (format '", c.meta["format"], "')");
  check(unexpected.empty(), path, ": unexpected tensor '", unexpected, "'");
  for (auto& [name, t] : tensors) {
    if (starts_with(name, kModel))
      c.params.emplace_back(name.substr(kModel.size()), t);
    else
      c.state.emplace_back(name.substr(kOptimizer.size()), t);
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
  Contents c = read_checkpoint(path, true, true);
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

Metadata checkpoint_metadata(const std::string& path) { return read_checkpoint(path, false, false).meta; }

void load_checkpoint_model(const std::string& path, Module& model) {
  try {
    model.load_parameters(read_checkpoint(path, true, false).params);  // the weights alone: no momentum read
  } catch (const Error& e) {
    throw Error(concat_message("load_checkpoint_model: ", path, ": ", e.what()));
  }
}

}  // namespace rcnn
