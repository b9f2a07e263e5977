#pragma once
// A progress bar for long work on stderr: done/total, a bar, rate, elapsed time, ETA, and what the
// caller adds (loss, ...). Redrawn in place on a terminal; on a pipe or log file it writes a line
// every 10% instead, so logs stay readable.
#include <chrono>
#include <string>

namespace rcnn {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, std::string unit = "it");
  // `done` items finished so far; `extra` is printed after the timings (e.g. "loss 0.42").
  void update(int64_t done, const std::string& extra = "");
  void finish(const std::string& extra = "");  // the final line, with a newline
  void stop(int64_t done, const std::string& extra);  // the final line of work stopped early (Ctrl-C)
  double elapsed_seconds() const;

 private:
  void draw(int64_t done, const std::string& extra, bool final_line);
  std::string label_, unit_;
  int64_t total_;
  int last_decile_ = -1;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace rcnn
