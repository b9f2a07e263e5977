#pragma once
// Pretraining a backbone as an image classifier: the backbone, global average pooling over its map and
// one linear layer, trained with cross-entropy and SGD + momentum. Faster R-CNN starts its shared layers
// from a network trained to classify (section 4: ImageNet); on a short schedule that start is what a
// detector trained from scratch lacks most (He, Girshick and Dollar 2019, "Rethinking ImageNet
// pre-training"). The fashion-scenes detector starts from a backbone pretrained on Fashion-MNIST items.
#include <functional>
#include <utility>

#include "core/rng.h"
#include "models/backbone.h"

namespace rcnn::models {

struct PretrainOptions {
  int64_t steps = 1000;
  double lr = 0.02;           // after a linear warm-up, falling to 0 along a half cosine
  int64_t warmup_steps = 50;  // from lr / 100
  double momentum = 0.9;
  double weight_decay = 1e-4;
  double max_grad_norm = 10;  // the gradient's norm is clipped to this (0: not clipped), as the detector's
  bool progress = true;  // a progress bar on stderr
};

// images (N, 3, H, W) and their labels (N) int64.
using ClassifierBatch = std::pair<Tensor, Tensor>;

struct PretrainResult {
  double loss = 0;      // the mean training loss over the last tenth of the steps
  double accuracy = 0;  // on the held-out batch
  int64_t steps = 0;         // done
  bool interrupted = false;  // Ctrl-C: stopped early, the backbone as trained so far
};

// Trains `backbone` in place (its frozen parameters stay frozen); the classification layer is dropped
// afterwards. `next_batch` draws a training batch; `held_out` is scored at the end.
PretrainResult pretrain_classifier(Backbone& backbone, int64_t classes,
                                   const std::function<ClassifierBatch(Generator&)>& next_batch,
                                   const ClassifierBatch& held_out, const PretrainOptions& options, Generator& gen);

}  // namespace rcnn::models
