#include "core/progress.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>

namespace rcnn {

namespace {
std::string clock_text(double seconds) {
  const int s = static_cast<int>(seconds + 0.5);
  char out[32];
  if (s >= 3600)
    std::snprintf(out, sizeof out, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(out, sizeof out, "%d:%02d", s / 60, s % 60);
  return out;
}
}  // namespace

ProgressBar::ProgressBar(std::string label, int64_t total, std::string unit, int64_t line_every)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), line_every_(line_every), terminal_(isatty(fileno(stderr))),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressBar::update(int64_t done, const std::string& extra) {
  auto now = std::chrono::steady_clock::now();
  if (terminal_) {
    if (now - last_draw_ < std::chrono::milliseconds(100) && done < total_) return;  // at most 10 redraws a second
    last_draw_ = now;
    draw(done, extra, false);
  } else {
    if (done >= total_ || (line_every_ > 0 && done % line_every_ != 0)) return;  // the last line is finish()'s
    const int64_t line = line_every_ > 0 ? done / line_every_ : total_ > 0 ? 10 * done / total_ : 10;
    if (line == last_line_) return;
    last_line_ = line;
    draw(done, extra, true);
  }
}

void ProgressBar::finish(const std::string& extra) { stop(total_, extra); }

void ProgressBar::stop(int64_t done, const std::string& extra) {
  draw(done, extra, true);
  last_line_ = INT64_MAX;
}

void ProgressBar::draw(int64_t done, const std::string& extra, bool final_line) {
  const double t = elapsed_seconds(), rate = t > 0 ? done / t : 0;
  const double eta = rate > 0 ? (total_ - done) / rate : 0;
  constexpr int kWidth = 24;
  const int filled = total_ > 0 ? static_cast<int>(kWidth * done / total_) : kWidth;
  std::string bar = std::string(filled, '#') + std::string(kWidth - filled, '.');
  std::fprintf(stderr, "%s%s [%s] %lld/%lld  %.1f %s/s  %s elapsed, ETA %s  %s%s", terminal_ ? "\r\033[K" : "",
               label_.c_str(), bar.c_str(), static_cast<long long>(done), static_cast<long long>(total_), rate,
               unit_.c_str(), clock_text(t).c_str(), clock_text(eta).c_str(), extra.c_str(),
               final_line || !terminal_ ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace rcnn
