#pragma once
// Averaging gradients over the ranks of a data-parallel run, the way PyTorch's DistributedDataParallel
// does (Li et al. 2020, section 3.2): the parameters are grouped into buckets of about `bucket_bytes`
// in the reverse of their order (roughly the order backward completes them), and a bucket is summed
// over ranks with one all-reduce as soon as all its gradients are complete, so that the optimizer can
// update those parameters and drop their gradients while backward goes on. Every rank reduces the
// buckets in the same order (bucket k waits for buckets before it), so the collectives always pair up,
// whatever order a rank's backward happens to complete gradients in.
#include <functional>
#include <unordered_map>
#include <vector>

#include "distributed/world.h"

namespace rcnn::distributed {

class GradientReducer {
 public:
  // `params`: the same list, in the same order, on every rank. `reduced` is called for each parameter
  // once its gradient holds the sum over ranks.
  GradientReducer(World& world, std::vector<Tensor> params, size_t bucket_bytes, std::function<void(Tensor& param)> reduced);

  // A parameter's gradient is complete on this rank for this step (backward's leaf_done); tensors
  // that are not among `params` are ignored.
  void ready(const Tensor& param);
  // Reduces every bucket not reduced yet (this rank's images reached no parameter, or backward's
  // leaf_done was not used), then gets ready for the next step. A parameter with no gradient on this
  // rank takes part with zeros; alone in a world of one it is left without a gradient, as SGD expects.
  void finish_step();

  double seconds() const { return seconds_; }                  // time spent in all-reduce so far ...
  double waiting_seconds() const { return waiting_seconds_; }  // ... and before it, for slower processes
  size_t buckets() const { return buckets_.size(); }

 private:
  void reduce(size_t bucket);
  World& world_;
  std::function<void(Tensor&)> reduced_;
  std::vector<std::vector<Tensor>> buckets_;
  std::unordered_map<const TensorImpl*, size_t> bucket_of_;
  std::vector<size_t> waiting_;  // per bucket, parameters not yet ready this step
  std::vector<bool> done_;       // per bucket, reduced this step
  size_t next_ = 0;              // with several ranks, the next bucket to reduce
  double seconds_ = 0, waiting_seconds_ = 0;
};

}  // namespace rcnn::distributed
