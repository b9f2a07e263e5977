#pragma once
// A progress bar for long work on stderr: done/total, a bar, rate, elapsed time, ETA, and what the
// caller adds (loss, ...). Redrawn in place on a terminal; on a pipe or log file (nohup, a cluster
// job, mpirun's pipes) it writes a plain line instead, every `line_every` items (training: every
// log_every iterations, as detectron2's logger does) or, where that is 0, every 10%.
#include <chrono>
#include <string>

namespace rcnn {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, std::string unit = "it", int64_t line_every = 0);
  // `done` items finished so far; `extra` is printed after the timings (e.g. "loss 0.42").
  void update(int64_t done, const std::string& extra = "");
  void finish(const std::string& extra = "");  // the final line, with a newline
  void stop(int64_t done, const std::string& extra);  // the final line of work stopped early (Ctrl-C)
  double elapsed_seconds() const;

 private:
  void draw(int64_t done, const std::string& extra, bool final_line);
  std::string label_, unit_;
  int64_t total_, line_every_;
  int64_t last_line_ = -1;  // off a terminal: the decile, or the multiple of line_every, last written
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace rcnn
