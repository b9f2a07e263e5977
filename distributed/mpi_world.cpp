// The World on MPI (Debian's OpenMPI): MPI_Iallreduce, MPI_Ibcast and MPI_Ibarrier on MPI_COMM_WORLD,
// from the main thread only (MPI_THREAD_FUNNELED: the loader's and OpenMP's threads never call MPI).
// Each collective is waited for by testing it and sleeping between tests, under a deadline: OpenMPI's
// blocking calls spin a core while they wait and wait forever for a rank that stopped. Compiled only
// with MPI=1 (Makefile).
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <iomanip>
#include <list>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

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
    MPI_Comm_dup(MPI_COMM_WORLD, &arrivals_);
    arrived_.assign(static_cast<size_t>(size_), 0);
  }
  ~MpiWorld() override {
    for (Announcement& a : announcements_) MPI_Cancel(&a.request), MPI_Request_free(&a.request);
    MPI_Comm_free(&arrivals_);
    MPI_Finalize();
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }
  void set_collective_timeout(double seconds) override { timeout_ = seconds; }

  void all_reduce_sum(const std::vector<Tensor>& tensors) override {
    Packed packed(tensors);
    arrive();
    MPI_Request request;
    check_mpi(MPI_Iallreduce(MPI_IN_PLACE, packed.data(), packed.count(), packed.type(), MPI_SUM, MPI_COMM_WORLD, &request),
              "MPI_Iallreduce");
    wait(request, "a sum over ranks (MPI_Iallreduce)");
    packed.unpack();
  }
  void broadcast(const std::vector<Tensor>& tensors, int root) override {
    Packed packed(tensors);
    arrive();
    MPI_Request request;
    check_mpi(MPI_Ibcast(packed.data(), packed.count(), packed.type(), root, MPI_COMM_WORLD, &request), "MPI_Ibcast");
    wait(request, "a broadcast (MPI_Ibcast)");
    packed.unpack();
  }
  void barrier() override {
    arrive();
    MPI_Request request;
    check_mpi(MPI_Ibarrier(MPI_COMM_WORLD, &request), "MPI_Ibarrier");
    wait(request, "a barrier (MPI_Ibarrier)");
  }
  [[noreturn]] void abort(int exit_code) override {
    std::cerr.flush();
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::_Exit(exit_code);  // MPI_Abort does not return; this says so to the compiler
  }

 private:
  // Each rank tells rank 0 the number of the collective it enters (a message of 8 bytes on a
  // communicator of its own), so that a rank 0 left waiting can name the ranks that never came.
  void arrive() {
    ++collective_;
    if (rank_ == 0) return;
    announcements_.remove_if([](Announcement& a) {
      int done = 0;
      MPI_Test(&a.request, &done, MPI_STATUS_IGNORE);
      return done != 0;
    });
    // Each number lives in the list until its send completes (a list keeps the others' addresses).
    Announcement& a = announcements_.emplace_back(Announcement{collective_, MPI_REQUEST_NULL});
    MPI_Isend(&a.number, 1, MPI_INT64_T, 0, 0, arrivals_, &a.request);
  }
  // Rank 0: reads every announcement that has come.
  void read_arrivals() {
    for (;;) {
      int waiting = 0;
      MPI_Status status;
      MPI_Iprobe(MPI_ANY_SOURCE, 0, arrivals_, &waiting, &status);
      if (!waiting) return;
      int64_t number = 0;
      MPI_Recv(&number, 1, MPI_INT64_T, status.MPI_SOURCE, 0, arrivals_, MPI_STATUS_IGNORE);
      arrived_[static_cast<size_t>(status.MPI_SOURCE)] = number;
    }
  }
  // Tests the request, sleeping between tests (50 us, growing to 2 ms: a step's many small collectives
  // stay quick, a long wait costs no core), until it completes or the timeout passes.
  void wait(MPI_Request& request, const char* what) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_seconds();
    // Other ranks give rank 0 a moment more, so that it is the one that names who is missing.
    const double limit = timeout_ + (rank_ == 0 ? 0 : 5);
    auto pause = std::chrono::microseconds(50);
    for (int done = 0;;) {
      check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), what);
      if (done) break;
      if (rank_ == 0) read_arrivals();
      const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (waited > limit) timed_out(what, waited, cpu_seconds() - cpu_start);
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(2000));
    }
    if (rank_ == 0) read_arrivals();
  }
  static double cpu_seconds() {  // this process's, every thread's
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
  }
  [[noreturn]] void timed_out(const char* what, double waited, double cpu) {
    std::string missing;
    if (rank_ == 0) {
      read_arrivals();
      for (int r = 1; r < size_; ++r)
        if (arrived_[static_cast<size_t>(r)] < collective_) missing += (missing.empty() ? "" : ", ") + std::to_string(r);
    }
    std::cerr << "rcnn: error: rank " << rank_ << " of " << size_ << " waited " << static_cast<int>(waited) << " s in " << what
              << " for " << (missing.empty() ? std::string("a rank that did not arrive") : "rank " + missing + ", which did not arrive")
              << " (stopped, hung, or on another machine that stopped answering; train.collective_timeout_s " << timeout_
              << "; the wait took " << std::fixed << std::setprecision(2) << cpu << " s of CPU): stopping every rank\n";
    abort(1);
  }

  int rank_ = 0, size_ = 1;
  double timeout_ = 300;
  MPI_Comm arrivals_ = MPI_COMM_NULL;
  int64_t collective_ = 0;           // collectives entered by this rank
  std::vector<int64_t> arrived_;     // rank 0: the last collective each rank announced
  struct Announcement {
    int64_t number;
    MPI_Request request;
  };
  std::list<Announcement> announcements_;  // sends to rank 0 not yet complete
};

}  // namespace

std::unique_ptr<World> make_mpi_world() { return std::make_unique<MpiWorld>(); }

}  // namespace rcnn::distributed
