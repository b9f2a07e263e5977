#include "core/threads.h"

#include <cblas.h>
#include <omp.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace rcnn {

void set_cpu_threads(int threads) {
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
}

int cpu_threads() { return omp_get_max_threads(); }

namespace {

// libgomp's threads spin up to 300 000 times waiting for work before they sleep. On a quiet machine
// that saves a wake-up; beside other busy processes each spinning thread burns the time slice the
// working thread needs: chapter 04 trained at a quarter of its quiet speed beside two busy processes
// on two cores. With GOMP_SPINCOUNT=10000 the quiet speed stays and the loaded one is about half,
// the fair share (bench_train in `make bench`).
// libgomp reads the variable once, in its constructor, and nothing later changes its spin count. A
// setenv() in .preinit_array (which runs before every constructor) does not reach it either: glibc's
// own constructor reinstalls the environment the process started with. So when the user has set no
// GOMP_SPINCOUNT, the program starts itself again, once, with it set: an execve of /proc/self/exe
// from .preinit_array, before any constructor or static object ran, so nothing happens twice. Any
// value the user sets (GOMP_SPINCOUNT=300000 restores libgomp's default) is kept, without a restart.
constexpr const char* kSpin = "GOMP_SPINCOUNT=10000";

void start_with_short_spin(int, char** argv, char** env) {
  std::vector<char*> with_spin;
  for (char** e = env; *e != nullptr; ++e) {
    if (std::strncmp(*e, "GOMP_SPINCOUNT=", 15) == 0) return;  // set (by the user, or by the first start)
    with_spin.push_back(*e);
  }
  with_spin.push_back(const_cast<char*>(kSpin));
  with_spin.push_back(nullptr);
  // The program's own path, not /proc/self/exe: the kernel names a process after the file it runs, and
  // ps and top would show "exe". (/proc/self/exe still serves where the path is gone: a rebuild.)
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    execve(self, argv, with_spin.data());
  }
  execve("/proc/self/exe", argv, with_spin.data());  // returns only if it failed: run on as we are
}

}  // namespace

}  // namespace rcnn

// The Makefile links this object into every program (-Wl,--undefined=rcnn_preinit_openmp): nothing
// else refers to it, and a static library's unreferenced objects are left out.
extern "C" {
__attribute__((section(".preinit_array"), used)) void (*rcnn_preinit_openmp)(int, char**,
                                                                            char**) = &rcnn::start_with_short_spin;
}
