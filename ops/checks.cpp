// The checks that read values, and the scope that lets a GPU step skip them.
#include "ops/checks.h"

namespace rcnn {

namespace {
thread_local bool gpu_values_trusted = false;
}

TrustedGpuValues::TrustedGpuValues() : outer_(gpu_values_trusted) { gpu_values_trusted = true; }
TrustedGpuValues::~TrustedGpuValues() { gpu_values_trusted = outer_; }

bool values_checked(const Tensor& t) { return !(t.is_cuda() && gpu_values_trusted); }

// On the CPU the indices are read where they are (max and sort gather on every call); GPU indices
// are copied to the host first.
void check_index_range(const char* op, const Tensor& index, int64_t n) {
  if (!values_checked(index)) return;
  const Tensor host = index.is_cuda() ? index.cpu() : index;
  const int64_t* p = host.data<int64_t>();
  for (int64_t k = 0; k < host.numel(); ++k)
    check(p[k] >= 0 && p[k] < n, op, ": index ", p[k], " is out of range for a dim of size ", n);
}

}  // namespace rcnn
