#pragma once
// Training checkpoints: the model's parameters ("model.<name>"), the optimizer's momentum buffers
// ("optimizer.momentum.<name>"), the step, the learning rate and the random generator's state, in one
// safetensors file written atomically. Loading restores all of it, so a resumed run continues exactly
// where the saved one stopped.
#include <string>

#include "core/rng.h"
#include "layers/module.h"
#include "layers/safetensors.h"
#include "layers/sgd.h"

namespace rcnn {

// `extra`: what else the run needs to rebuild itself (a detector's config, its class names, ...).
void save_checkpoint(const std::string& path, const Module& model, const optim::SGD& optimizer, int64_t step,
                     const Generator& gen, const Metadata& extra = {});
// Returns the saved step. Names, shapes and dtypes must match the model exactly (the error lists
// every difference); the model is left unchanged when they do not.
int64_t load_checkpoint(const std::string& path, Module& model, optim::SGD& optimizer, Generator& gen);
// The saved metadata (`extra`, and "step"), read before the model is built; an error unless `path` is
// an rcnn.cpp checkpoint.
Metadata checkpoint_metadata(const std::string& path);
// Only the model's parameters, for inference.
void load_checkpoint_model(const std::string& path, Module& model);

}  // namespace rcnn
