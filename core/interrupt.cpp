#include "core/interrupt.h"

#include <omp.h>

#include <algorithm>
#include <csignal>

namespace rcnn {

namespace {
volatile std::sig_atomic_t interrupt_count = 0;

extern "C" void on_signal(int signal) {
  if (++interrupt_count > 1) {
    std::signal(signal, SIG_DFL);
    std::raise(signal);
  }
}

// Why the handler runs on a stack of its own: the kernel writes a signal's frame below the stack
// pointer of the thread it interrupts, and oneDNN 2.6's (Debian's) JIT float32 GEMM kernels point the
// stack pointer into a heap buffer while they run (oneDNN issue #4845, fixed in 3.11). A Ctrl-C that
// landed in a GEMM overwrote that buffer's neighbours, and about one interrupted training run in
// thirty ended in glibc's "corrupted size vs. prev_size" abort a few operations later. With an
// alternate signal stack the frame goes there, wherever the stack pointer is.
void use_signal_stack() {
  thread_local bool done = false;
  if (done) return;
  done = true;
  stack_t current = {};
  if (sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) return;  // one is set already
  constexpr size_t kBytes = 64 * 1024;  // AVX-512's register state alone takes ~2.7 KiB of a frame
  stack_t stack = {};
  stack.ss_sp = new char[kBytes];  // never freed: the thread may take a signal until it ends
  stack.ss_size = kBytes;
  sigaltstack(&stack, nullptr);
}
}  // namespace

void install_interrupt_handler() {
  struct sigaction action = {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART | SA_ONSTACK;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // Every thread that computes needs its own: the caller and the OpenMP pool (which serves oneDNN and
  // OpenBLAS too). The pool keeps the threads of its largest team; a team of at least as many as the
  // machine has cores reaches them. A thread the pool starts later has none until the next call.
  use_signal_stack();
  const int team = std::max(omp_get_max_threads(), omp_get_num_procs());
#pragma omp parallel num_threads(team)
  use_signal_stack();
}

bool interrupted() { return interrupt_count > 0; }

void clear_interrupt() { interrupt_count = 0; }

}  // namespace rcnn
