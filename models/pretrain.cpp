#include "models/pretrain.h"

#include <cmath>
#include <cstdio>
#include <optional>

#include "autograd/grad_mode.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "layers/losses.h"
#include "layers/modules.h"
#include "layers/sgd.h"
#include "ops/ops.h"

namespace rcnn::models {

namespace {

// Global average pooling, then one linear layer: the classifier that is thrown away after pretraining.
Tensor classify(Backbone& backbone, nn::Linear& fc, const Tensor& images) {
  return fc.forward(mean(backbone.forward(images), {2, 3}));
}

double accuracy(const Tensor& logits, const Tensor& labels) {
  const std::vector<int64_t> guess = argmax(logits, 1).to_vector<int64_t>(), truth = labels.to_vector<int64_t>();
  int64_t right = 0;
  for (size_t i = 0; i < truth.size(); ++i) right += guess[i] == truth[i];
  return truth.empty() ? 0.0 : static_cast<double>(right) / static_cast<double>(truth.size());
}

}  // namespace

PretrainResult pretrain_classifier(Backbone& backbone, int64_t classes,
                                   const std::function<ClassifierBatch(Generator&)>& next_batch,
                                   const ClassifierBatch& held_out, const PretrainOptions& o, Generator& gen) {
  check(o.steps >= 1 && o.lr > 0, "pretrain_classifier: ", o.steps, " steps at lr ", o.lr);
  nn::Linear fc(backbone.channels, classes, true, gen);
  NamedTensors params;
  std::vector<Tensor> trained;
  for (const auto& [name, t] : backbone.named_parameters())
    if (t.requires_grad()) params.emplace_back("backbone." + name, t);
  for (const auto& [name, t] : fc.named_parameters()) params.emplace_back("fc." + name, t);
  for (const auto& [name, t] : params) trained.push_back(t);
  optim::SGD sgd(params, {o.lr, o.momentum, o.weight_decay});

  std::optional<ProgressBar> bar;
  if (o.progress) bar.emplace("pretrain", o.steps, "step");
  PretrainResult result;
  double loss_sum = 0;
  int64_t loss_count = 0;
  const int64_t last_tenth = o.steps - std::max<int64_t>(1, o.steps / 10);
  for (int64_t step = 0; step < o.steps; ++step) {
    if (interrupted()) {
      result.interrupted = true;
      if (bar) bar->stop(step, "interrupted");
      break;
    }
    // Linear warm-up from lr / 100, then a half cosine down to 0.
    const double t = static_cast<double>(step - o.warmup_steps) / static_cast<double>(std::max<int64_t>(1, o.steps - o.warmup_steps));
    sgd.set_lr(step < o.warmup_steps ? o.lr * (0.01 + 0.99 * static_cast<double>(step) / static_cast<double>(o.warmup_steps))
                                     : o.lr * 0.5 * (1 + std::cos(M_PI * t)));
    const auto [images, labels] = next_batch(gen);
    Tensor loss = cross_entropy(classify(backbone, fc, images), labels);
    sgd.zero_grad();
    loss.backward();
    if (o.max_grad_norm > 0) optim::clip_grad_norm(trained, o.max_grad_norm);
    sgd.step();
    const double value = loss.item();
    check(std::isfinite(value), "pretrain_classifier: the loss is ", value, " at step ", step + 1, " (lr ", sgd.lr(),
          "): try a smaller lr");
    if (step >= last_tenth) loss_sum += value, ++loss_count;
    result.steps = step + 1;
    if (bar) {
      char extra[64];
      std::snprintf(extra, sizeof extra, "loss %.3f lr %.3g", value, sgd.lr());
      bar->update(step + 1, extra);
    }
  }
  if (bar && !result.interrupted) bar->finish();
  result.loss = loss_count > 0 ? loss_sum / static_cast<double>(loss_count) : 0;
  NoGradGuard no_grad;
  result.accuracy = accuracy(classify(backbone, fc, held_out.first), held_out.second);
  return result;
}

}  // namespace rcnn::models
