#pragma once
// Ctrl-C for long runs: after install_interrupt_handler(), the first SIGINT (or SIGTERM) only raises
// a flag that the training loop checks between steps, so it can save its state and stop cleanly; a
// second one ends the program at once.
namespace rcnn {

void install_interrupt_handler();
bool interrupted();
// Forgets an interrupt that was handled (a test that interrupts a run, a program that goes on).
void clear_interrupt();

}  // namespace rcnn
