#include "core/interrupt.h"

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
}  // namespace

void install_interrupt_handler() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

bool interrupted() { return interrupt_count > 0; }

void clear_interrupt() { interrupt_count = 0; }

}  // namespace rcnn
