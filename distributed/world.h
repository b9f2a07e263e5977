#pragma once
// The processes of a data-parallel run, as the trainer sees them: how many there are, which one this
// is, and the three collectives data-parallel SGD needs (Goyal et al. 2017, section 3: each process
// computes the gradients of its own images, an all-reduce sums them, every process takes the same
// step). MPI is behind it when the program was built with MPI and started by `mpirun`
// (distributed/mpi_world.cpp); otherwise it is a world of one process, where every collective is a
// no-op. NCCL or Gloo would be one more implementation of World; the trainer would not change.
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"

namespace rcnn::distributed {

class World {
 public:
  virtual ~World() = default;
  virtual int rank() const = 0;  // 0 .. size() - 1; rank 0 writes the run's files
  virtual int size() const = 0;
  virtual std::string backend() const = 0;  // "mpi" or "local"

  // In place: every tensor becomes the elementwise sum of its values on all ranks. The list travels
  // as one message (packed into one host buffer), so a bucket of gradients is one collective. Tensors
  // of one dtype (float32, float64 or int64), on any device: CUDA tensors go through host memory.
  virtual void all_reduce_sum(const std::vector<Tensor>& tensors) = 0;
  // In place: every rank gets `root`'s values (same shapes and dtypes on every rank).
  virtual void broadcast(const std::vector<Tensor>& tensors, int root = 0) = 0;
  virtual void barrier() = 0;
  // Ends every process of the world now with `exit_code` (the caller has said why, on its stderr).
  [[noreturn]] virtual void abort(int exit_code) = 0;
  // A collective that waits longer than this for the other ranks (one stopped, or hung) names them
  // and ends the job; until then the wait sleeps instead of spinning a core. Alone: nothing to wait for.
  virtual void set_collective_timeout(double seconds) { (void)seconds; }
};

// This process's world, set up on the first call: MPI's when started by mpirun, else one process.
World& world();

// FNV-1a of some bytes: what ranks compare instead of the bytes (the same on every machine, unlike std::hash).
uint64_t fingerprint(std::string_view bytes);

// The ranks (in increasing order) whose `what` differs from rank 0's: a fingerprint of it is broadcast
// and compared, so every rank learns the same answer and can refuse together (an AgreedError) before
// ranks that disagree exchange messages of different sizes. Empty in a world of one.
std::vector<int> ranks_differing_from_root(World& world, const std::string& what);
// "1, 3": ranks for a message.
std::string ranks_text(const std::vector<int>& ranks);

// An error every rank raised at the same point of the same collective decision (a diverged loss,
// ranks started with different configs): rank 0 alone reports it, and no rank needs to abort others.
struct AgreedError : Error {
  using Error::Error;
};

}  // namespace rcnn::distributed
