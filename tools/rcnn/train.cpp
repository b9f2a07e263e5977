// rcnn train (alone or under mpirun) and rcnn pretrain: a detector, or its backbone as a classifier first.
#include <iomanip>
#include <iostream>
#include <memory>

#include "core/error.h"
#include "core/interrupt.h"
#include "core/threads.h"
#include "datasets/data_folder.h"
#include "datasets/fashion_mnist.h"
#include "datasets/generated.h"
#include "detection/detector_checkpoint.h"
#include "detection/trainer.h"
#include "distributed/world.h"
#include "layers/safetensors.h"
#include "models/pretrain.h"
#include "tools/rcnn/commands.h"

namespace rcnn::cli {

void add_train_command(CLI::App& app, int& exit_code) {
  struct Options {
    std::string config, data, out, split = "trainval", device = "cpu";
    std::vector<std::string> overrides;
    bool resume = false;
    int threads = 0;
    double bucket_mb = TrainOptions{}.bucket_mb;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("train", "train a detector (checkpoints, log and loss curve go to --out)");
  cmd->add_option("--config", o->config, "the config (configs/*.yaml); with --resume, the checkpoint's by default");
  cmd->add_option("--data", o->data, "the data set folder (VOC or COCO layout)")->required();
  cmd->add_option("--out", o->out, "the run folder")->required();
  cmd->add_option("--split", o->split, "the split to train on");
  cmd->add_flag("--resume", o->resume, "continue the run in --out from its checkpoint");
  cmd->add_option("--set", o->overrides, "override a config value: --set rpn.nms_threshold=0.6 (repeatable)");
  cmd->add_option("--bucket-mb", o->bucket_mb, "under mpirun: gradients are summed over processes in buckets of this size")
      ->check(CLI::PositiveNumber);
  add_device_options(cmd, o->device, o->threads);
  cmd->callback([o, &exit_code] {
    if (o->threads > 0) set_cpu_threads(o->threads);
    check(!o->config.empty() || o->resume, "train: --config is required (unless --resume)");
    TrainOptions t;
    t.config = o->config.empty() ? parse_config(to_yaml(read_detector_info(o->out).config), o->out, o->overrides)
                                 : load_config(o->config, o->overrides);
    t.data_dir = o->data;
    t.split = o->split;
    if (distributed::world().rank() == 0)
      std::cout << "data: " << o->data << " (" << format_name(data_format(o->data)) << " layout), split " << o->split << "\n";
    t.out_dir = o->out;
    t.resume = o->resume;
    t.device = parse_device(o->device);
    t.bucket_mb = o->bucket_mb;
    const TrainResult r = train_detector(t);
    if (r.unreadable > 0) std::cerr << "warning: " << r.unreadable << " images could not be read and were skipped\n";
    const distributed::World& world = distributed::world();
    if (world.rank() == 0) {
      std::cout << std::fixed << std::setprecision(1)
                << (r.interrupted ? "interrupted at iteration " : "trained to iteration ") << r.iterations << " ("
                << r.images << " images) in " << r.seconds << " s (" << r.session_images / std::max(r.seconds, 1e-9)
                << " images/s; " << r.waiting_seconds << " s of it waiting for images";
      if (world.size() > 1)
        std::cout << ", " << std::setprecision(2) << r.allreduce_seconds << " s summing gradients over " << world.size()
                  << " processes, " << r.sync_seconds << " s waiting for the slowest";
      std::cout << std::defaultfloat << "); checkpoint " << r.checkpoint << "\n";
    }
    if (r.interrupted) {
      if (world.rank() == 0)
        std::cout << "continue with: rcnn train --resume --data " << o->data << " --out " << o->out
                  << " --set train.images_per_step=" << r.step_images << "   (one process; under mpirun -np N, "
                  << r.step_images << " / N each: a step stays " << r.step_images << " images)\n";
      exit_code = kInterruptedExit;
    }
  });
}

void add_pretrain_command(CLI::App& app, int& exit_code) {
  struct Options {
    std::string config, out;
    std::vector<std::string> overrides;
    int64_t steps = 2500, batch = 64, held_out = 2000, seed = 0;
    int size = 64;
    double lr = models::PretrainOptions{}.lr;
    int threads = 0;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("pretrain", "pretrain a config's backbone as a classifier of Fashion-MNIST items, "
                                             "painted as fashion-scenes paints them; writes the weights backbone.weights reads");
  cmd->add_option("--config", o->config, "the config whose backbone is pretrained (configs/*.yaml)")->required();
  cmd->add_option("--out", o->out, "the weights file to write (.safetensors)")->required();
  cmd->add_option("--set", o->overrides, "override a config value, as rcnn train takes it (repeatable)");
  cmd->add_option("--steps", o->steps, "SGD steps")->check(CLI::PositiveNumber);
  cmd->add_option("--batch", o->batch, "images per step")->check(CLI::PositiveNumber);
  cmd->add_option("--size", o->size, "image side in pixels (each item fills 65-100% of it)")->check(CLI::Range(32, 1024));
  cmd->add_option("--lr", o->lr, "peak learning rate (warm-up, then a half cosine to 0)")->check(CLI::PositiveNumber);
  cmd->add_option("--held-out", o->held_out, "images of Fashion-MNIST's test items scored at the end")->check(CLI::PositiveNumber);
  cmd->add_option("--seed", o->seed, "the seed of the weights and the images");
  cmd->add_option("--threads", o->threads, "CPU threads (default: all cores)")->check(CLI::PositiveNumber);
  cmd->callback([o, &exit_code] {
    if (o->threads > 0) set_cpu_threads(o->threads);
    DetectorConfig config = load_config(o->config, o->overrides);
    config.backbone.weights.clear();     // pretraining starts from the initialisation
    config.backbone.fpn_levels.clear();  // of a pyramid's body, which is what the weights file loads into
    Generator gen(static_cast<uint64_t>(o->seed));
    const auto backbone = build_backbone(config.backbone, gen);
    const FashionItemRenderer train_items(o->size, "train"), test_items(o->size, "test");
    Generator held_out_gen(static_cast<uint64_t>(o->seed) + 1);
    const LabelledImages held_out = test_items.render(o->held_out, held_out_gen);
    models::PretrainOptions p;
    p.steps = o->steps;
    p.lr = o->lr;
    install_interrupt_handler();
    const int64_t batch = o->batch;
    const models::PretrainResult r = models::pretrain_classifier(
        *backbone, static_cast<int64_t>(train_items.class_names().size()),
        [&](Generator& g) {
          LabelledImages b = train_items.render(batch, g);
          return models::ClassifierBatch{b.images, b.labels};
        },
        {held_out.images, held_out.labels}, p, gen);
    if (r.interrupted) {  // a half-trained backbone under the final name would pass for a finished one
      std::cout << "interrupted at step " << r.steps << " of " << o->steps << ": nothing written (run it again)\n";
      exit_code = kInterruptedExit;
      return;
    }
    const std::filesystem::path out(o->out);
    if (!out.parent_path().empty()) std::filesystem::create_directories(out.parent_path());
    save_safetensors(o->out, backbone->named_parameters(),
                     {{"backbone", config.backbone.name}, {"stride", std::to_string(backbone->stride)},
                      {"pretrained_on", "Fashion-MNIST items, " + std::to_string(o->size) + " px"}});
    std::cout << std::fixed << std::setprecision(3) << config.backbone.name << " backbone pretrained in " << r.steps
              << " steps: loss " << r.loss << " (the last tenth), accuracy " << r.accuracy << " on " << o->held_out
              << " images of Fashion-MNIST's test items; weights " << o->out << "\n";
  });
}

}  // namespace rcnn::cli
