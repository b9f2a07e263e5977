// Chapter 04 — training a CNN. Two conv-ReLU-pool blocks and a linear layer learn Fashion-MNIST
// with SGD + momentum; the program shows a progress bar, evaluates after every epoch, writes the
// loss curve as a PNG and the trained weights as safetensors, and prints the test accuracy. A
// checkpoint is saved after every epoch; Ctrl-C stops cleanly and --resume continues from it.
//   build/cpu/bin/04_training_a_cnn [--epochs 6] [--out runs/04_training_a_cnn] [--resume]
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "autograd/grad_mode.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "datasets/batches.h"
#include "datasets/draw.h"
#include "datasets/fashion_mnist.h"
#include "layers/checkpoint.h"
#include "layers/losses.h"
#include "layers/modules.h"
#include "layers/safetensors.h"
#include "layers/sgd.h"
#include "models/small_cnn.h"
#include "ops/ops.h"

using namespace rcnn;

// The fraction of images whose highest score is the true class.
static double accuracy(Layer& model, const LabelledImages& data) {
  NoGradGuard no_grad;
  model.eval();
  int64_t correct = 0;
  const int64_t n = data.labels.numel();
  for (int64_t start = 0; start < n; start += 1000) {
    const int64_t count = std::min<int64_t>(1000, n - start);
    Tensor predicted = argmax(model.forward(narrow(data.images, 0, start, count)), 1);
    correct += static_cast<int64_t>(sum(eq(predicted, narrow(data.labels, 0, start, count))).item());
  }
  model.train();
  return static_cast<double>(correct) / n;
}

int main(int argc, char** argv) try {
  CLI::App app{"Chapter 04: train a small CNN on Fashion-MNIST"};
  int epochs = 6;
  std::string out_dir = "runs/04_training_a_cnn";
  bool resume = false;
  app.add_option("--epochs", epochs, "passes over the 60 000 training images")->check(CLI::PositiveNumber);
  app.add_option("--out", out_dir, "where the plot, the weights and the checkpoint go");
  app.add_flag("--resume", resume, "continue from the checkpoint in --out");
  CLI11_PARSE(app, argc, argv);
  std::filesystem::create_directories(out_dir);
  const std::string checkpoint = out_dir + "/checkpoint.safetensors";
  install_interrupt_handler();

  auto train = load_fashion_mnist("train"), test = load_fashion_mnist("test");
  std::cout << "Fashion-MNIST: " << train.labels.numel() << " training and " << test.labels.numel()
            << " test images of " << train.class_names.size() << " classes\n";

  Generator gen(2024);
  auto model = models::small_cnn(gen);  // models/small_cnn.h draws it
  const int64_t batch_size = 64;
  // lr 0.02 with momentum 0.9, ten times smaller for the last third of the epochs; weight decay 5e-4.
  const double lr = 0.02;
  optim::SGD sgd(model->named_parameters(), {lr, 0.9, 5e-4});
  // The drop comes after epochs - epochs / 3 epochs: never in a run of 1 or 2.
  optim::StepLR schedule{lr, {epochs - epochs / 3}, 0.1};

  Series loss_curve{"training loss (mean of 50 steps)", {}, {}, palette(2)};
  Series test_curve{"test error", {}, {}, palette(0)};
  int64_t step = 0;
  int first_epoch = 0;
  if (resume) {  // the checkpoint's step counts epochs; curves restart with the resumed run
    first_epoch = static_cast<int>(load_checkpoint(checkpoint, *model, sgd, gen));
    std::cout << "resumed from " << checkpoint << " after epoch " << first_epoch << "\n";
  }
  if (first_epoch == 0) {  // the check by hand: an untrained model's loss is near -log(1/10)
    NoGradGuard no_grad;
    const double first = cross_entropy(model->forward(narrow(train.images, 0, 0, batch_size)),
                                       narrow(train.labels, 0, 0, batch_size)).item();
    std::cout << "untrained loss on the first 64 images: " << std::to_string(first).substr(0, 5)
              << " (log 10 = 2.303)" << std::endl;
  }
  double running = 0;
  for (int epoch = first_epoch; epoch < epochs; ++epoch) {
    sgd.set_lr(schedule.at(epoch));
    auto batches = epoch_batches(train.labels.numel(), batch_size, true, gen);
    ProgressBar bar("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(epochs), train.labels.numel(), "img");
    int64_t seen = 0;
    for (size_t b = 0; b < batches.size(); ++b) {
      if (interrupted()) {
        if (epoch == 0)
          std::cerr << "\ninterrupted in epoch 1, before any checkpoint: run again to start over\n";
        else
          std::cerr << "\ninterrupted in epoch " << epoch + 1 << ": " << checkpoint << " holds the model after epoch "
                    << epoch << "; continue with --resume\n";
        return 130;
      }
      Tensor index = from_vector(batches[b], {static_cast<int64_t>(batches[b].size())});
      Tensor loss = cross_entropy(model->forward(index_select(train.images, 0, index)),
                                  index_select(train.labels, 0, index));
      sgd.zero_grad();
      loss.backward();
      sgd.step();
      running += loss.item();
      if (++step % 50 == 0) {
        loss_curve.x.push_back(step);
        loss_curve.y.push_back(running / 50);
        running = 0;
      }
      seen += index.numel();
      bar.update(seen,
                 loss_curve.y.empty() ? "" : "loss " + std::to_string(loss_curve.y.back()).substr(0, 5));
    }
    const double acc = accuracy(*model, test);
    test_curve.x.push_back(step);
    test_curve.y.push_back(1 - acc);
    bar.finish("test accuracy " + std::to_string(100 * acc).substr(0, 5) + "%");
    save_checkpoint(checkpoint, *model, sgd, epoch + 1, gen);
  }
  check(!test_curve.y.empty(), "nothing to train: the checkpoint already holds ", epochs, " epochs");

  save_png(line_plot({loss_curve, test_curve}, "Fashion-MNIST: small CNN, SGD + momentum", "step", "loss / error"),
           out_dir + "/loss.png");
  save_safetensors(out_dir + "/model.safetensors", model->named_parameters());
  const double final_accuracy = 1 - test_curve.y.back();
  std::cout << "wrote " << out_dir << "/loss.png and " << out_dir << "/model.safetensors\n";
  std::cout << "test accuracy: " << 100 * final_accuracy << "%\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
