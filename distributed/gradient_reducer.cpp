#include "distributed/gradient_reducer.h"

#include <chrono>

#include "autograd/grad_mode.h"

namespace rcnn::distributed {

GradientReducer::GradientReducer(World& world, std::vector<Tensor> params, size_t bucket_bytes,
                                 std::function<void(Tensor&)> reduced)
    : world_(world), reduced_(std::move(reduced)) {
  // Alone there is nothing to wait for: each parameter is its own bucket, handed on at once.
  const size_t limit = world.size() == 1 ? 0 : bucket_bytes;
  size_t bytes = 0;
  for (auto p = params.rbegin(); p != params.rend(); ++p) {
    const size_t size = static_cast<size_t>(p->numel()) * dtype_size(p->dtype());
    if (buckets_.empty() || bytes + size > limit || buckets_.back().front().dtype() != p->dtype()) {
      buckets_.emplace_back();
      bytes = 0;
    }
    buckets_.back().push_back(*p);
    bytes += size;
    bucket_of_[&p->impl()] = buckets_.size() - 1;
  }
  // Each bucket is one all-reduce whose size and dtype every rank must share: a rank whose buckets differ
  // (another --bucket-mb, another model) would exchange messages of other sizes and corrupt memory.
  std::string layout;
  for (const std::vector<Tensor>& bucket : buckets_) {
    int64_t count = 0;
    for (const Tensor& t : bucket) count += t.numel();
    layout += concat_message(dtype_name(bucket.front().dtype()), " ", count, "\n");
  }
  const std::vector<int> differing = ranks_differing_from_root(world, layout);
  if (!differing.empty())
    throw AgreedError(concat_message("rank ", ranks_text(differing), " of ", world.size(), " would sum gradients in other buckets "
                                     "than rank 0 (", buckets_.size(), " buckets of up to ", bucket_bytes >> 20,
                                     " MiB here): give every process the same --bucket-mb and the same model"));
  waiting_.resize(buckets_.size());
  done_.resize(buckets_.size());
  for (size_t b = 0; b < buckets_.size(); ++b) waiting_[b] = buckets_[b].size();
}

void GradientReducer::ready(const Tensor& param) {
  const auto it = bucket_of_.find(&param.impl());
  if (it == bucket_of_.end() || --waiting_[it->second] > 0) return;
  if (world_.size() == 1) return reduce(it->second);
  while (next_ < buckets_.size() && waiting_[next_] == 0) reduce(next_++);
}

void GradientReducer::finish_step() {
  for (size_t b = 0; b < buckets_.size(); ++b)
    if (!done_[b]) reduce(b);
  for (size_t b = 0; b < buckets_.size(); ++b) {
    waiting_[b] = buckets_[b].size();
    done_[b] = false;
  }
  next_ = 0;
}

void GradientReducer::reduce(size_t b) {
  done_[b] = true;
  std::vector<Tensor>& bucket = buckets_[b];
  if (world_.size() > 1) {
    NoGradGuard no_grad;
    std::vector<Tensor> grads;
    for (Tensor& p : bucket) {
      if (!p.grad().defined()) p.set_grad(zeros(p.shape(), p.options()));
      grads.push_back(p.grad());
    }
    // The barrier only measures: a process that reaches a bucket first waits there for the slowest (an
    // image with more work), and that wait is not the all-reduce's cost, so it is counted apart.
    const auto start = std::chrono::steady_clock::now();
    world_.barrier();
    const auto synced = std::chrono::steady_clock::now();
    world_.all_reduce_sum(grads);
    waiting_seconds_ += std::chrono::duration<double>(synced - start).count();
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - synced).count();
  }
  for (Tensor& p : bucket) reduced_(p);
}

}  // namespace rcnn::distributed
