// The World on MPI (Debian's OpenMPI): MPI_Allreduce and MPI_Bcast on MPI_COMM_WORLD, from the main
// thread only (MPI_THREAD_FUNNELED: the loader's and OpenMP's threads never call MPI). Compiled only
// when the build found MPI (Makefile).
#include <mpi.h>

#include <cstring>
#include <iostream>
#include <memory>

#include "distributed/world.h"

namespace rcnn::distributed {

namespace {

MPI_Datatype mpi_type(DType dtype) {
  switch (dtype) {
    case kFloat32: return MPI_FLOAT;
    case kFloat64: return MPI_DOUBLE;
    case kInt64: return MPI_INT64_T;
    default: break;
  }
  throw Error(concat_message("distributed: ", dtype_name(dtype), " tensors cannot be reduced"));
}

// The tensors' elements, end to end, in one host buffer: a list is one message, however many tensors.
class Packed {
 public:
  explicit Packed(const std::vector<Tensor>& tensors) : tensors_(tensors) {
    check(!tensors.empty(), "distributed: an empty list of tensors");
    dtype_ = tensors[0].dtype();
    for (const Tensor& t : tensors) {
      check(t.dtype() == dtype_, "distributed: a list mixes ", dtype_name(dtype_), " and ", dtype_name(t.dtype()));
      count_ += t.numel();
    }
    // One CPU tensor needs no copy: MPI works on its storage.
    if (tensors.size() == 1 && !tensors[0].is_cuda()) return;
    buffer_ = Tensor::empty({count_}, {dtype_, kCPU});
    char* at = static_cast<char*>(buffer_.raw());
    for (const Tensor& t : tensors) {
      const Tensor host = t.cpu();
      const size_t bytes = static_cast<size_t>(t.numel()) * dtype_size(dtype_);
      std::memcpy(at, host.raw(), bytes);
      at += bytes;
    }
  }
  void* data() const { return buffer_.defined() ? buffer_.raw() : tensors_[0].raw(); }
  int count() const {
    check(count_ <= INT32_MAX, "distributed: ", count_, " elements in one message (more than MPI's int)");
    return static_cast<int>(count_);
  }
  MPI_Datatype type() const { return mpi_type(dtype_); }
  // Writes the buffer back into the tensors.
  void unpack() const {
    if (!buffer_.defined()) return;
    const char* at = static_cast<const char*>(buffer_.raw());
    for (const Tensor& t : tensors_) {
      const size_t bytes = static_cast<size_t>(t.numel()) * dtype_size(dtype_);
      if (t.is_cuda()) {
        Tensor host = Tensor::empty(t.shape(), {dtype_, kCPU});
        std::memcpy(host.raw(), at, bytes);
        t.copy_(host);
      } else {
        std::memcpy(t.raw(), at, bytes);
      }
      at += bytes;
    }
  }

 private:
  const std::vector<Tensor>& tensors_;
  DType dtype_ = kFloat32;
  int64_t count_ = 0;
  Tensor buffer_;
};

void check_mpi(int status, const char* call) {
  if (status == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(status, text, &length);
  throw Error(concat_message("MPI: ", call, " failed: ", std::string(text, static_cast<size_t>(length))));
}

class MpiWorld : public World {
 public:
  MpiWorld() {
    int provided = 0;
    check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    // Errors come back as codes (and become exceptions here) instead of ending the process silently.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiWorld() override { MPI_Finalize(); }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }

  void all_reduce_sum(const std::vector<Tensor>& tensors) override {
    Packed packed(tensors);
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, packed.data(), packed.count(), packed.type(), MPI_SUM, MPI_COMM_WORLD),
              "MPI_Allreduce");
    packed.unpack();
  }
  void broadcast(const std::vector<Tensor>& tensors, int root) override {
    Packed packed(tensors);
    check_mpi(MPI_Bcast(packed.data(), packed.count(), packed.type(), root, MPI_COMM_WORLD), "MPI_Bcast");
    packed.unpack();
  }
  void barrier() override { check_mpi(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }
  [[noreturn]] void abort(int exit_code) override {
    std::cerr.flush();
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::_Exit(exit_code);  // MPI_Abort does not return; this says so to the compiler
  }

 private:
  int rank_ = 0, size_ = 1;
};

}  // namespace

std::unique_ptr<World> make_mpi_world() { return std::make_unique<MpiWorld>(); }

}  // namespace rcnn::distributed
