// core/: Tensor, factories, conversions, element access, errors.
#include <omp.h>

#include <fstream>
#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <map>
#include <set>
#include <vector>

#include "core/block_cache.h"
#include "core/interrupt.h"
#include "core/rng.h"
#include "ops/ops.h"
#include "tests/helpers.h"

using namespace rcnn;
using rcnn::testing::check_values;

TEST_CASE("factories make the shapes, dtypes and values asked for") {
  Tensor z = zeros({2, 3});
  CHECK(z.shape() == Shape{2, 3});
  CHECK(z.dtype() == kFloat32);
  CHECK(z.device() == kCPU);
  check_values(z, {0, 0, 0, 0, 0, 0});
  check_values(ones({2}, kFloat64), {1, 1});
  check_values(full({3}, 2.5), {2.5, 2.5, 2.5});
  check_values(arange(4, kInt64), {0, 1, 2, 3});
  check_values(arange(1, 2, 0.25), {1, 1.25, 1.5, 1.75});
  check_values(tensor({1, -2, 3}), {1, -2, 3});
  Tensor s = scalar_tensor(7);
  CHECK(s.dim() == 0);
  CHECK(s.item() == 7);
  Tensor v = from_vector<int64_t>({1, 2, 3, 4, 5, 6}, {3, 2});
  CHECK(v.dtype() == kInt64);
  CHECK(v.at({2, 1}) == 6);
}

TEST_CASE("rand and randn are reproducible from the seed and have the right moments") {
  Generator a(42), b(42);
  Tensor x = rand({1000}, a), y = rand({1000}, b);
  CHECK(x.to_vector<float>() == y.to_vector<float>());
  CHECK(mean(x).item() == doctest::Approx(0.5).epsilon(0.05));
  CHECK(max(x).item() < 1.0);
  Generator g(7);
  Tensor n = randn({20000}, g, kFloat64);
  CHECK(mean(n).item() == doctest::Approx(0).epsilon(0.03));
  CHECK(mean(n * n).item() == doctest::Approx(1).epsilon(0.03));
}

TEST_CASE("generator state round-trips") {
  Generator g(3);
  g.uniform();
  std::string state = g.state();
  double next = g.uniform();
  Generator h;
  h.set_state(state);
  CHECK(h.uniform() == next);
  CHECK_THROWS_WITH_AS(h.set_state("not a state"), doctest::Contains("set_state"), Error);
}

TEST_CASE("to(dtype) converts values and clone owns its storage") {
  Tensor x = tensor({1.7, -2.2, 3.0});
  check_values(x.to(kInt64), {1, -2, 3});
  check_values(x.to(kFloat64), {1.7, -2.2, 3.0}, 1e-6);
  Tensor c = x.clone();
  c.data<float>()[0] = 9;
  CHECK(x.at({0}) == doctest::Approx(1.7));
}

TEST_CASE("printing names shape, dtype and device") {
  std::string s = zeros({2, 2}, kFloat64).str();
  CHECK(s.find("shape=(2, 2)") != std::string::npos);
  CHECK(s.find("float64") != std::string::npos);
  CHECK(s.find("cpu") != std::string::npos);
  CHECK(Tensor().str() == "Tensor(undefined)");
}

TEST_CASE("printing: nested brackets as PyTorch, -0 as 0, long dims summarised") {
  const std::string cube = arange(12, kFloat32).view_as_shape({2, 2, 3}).str();
  CHECK(cube.substr(cube.find('\n') + 1) == "[[[ 0,  1,  2],\n  [ 3,  4,  5]],\n\n [[ 6,  7,  8],\n  [ 9, 10, 11]]]");
  const std::string zero = tensor({1.5, -0.0}).str();
  CHECK(zero.substr(zero.find('\n') + 1) == "[1.5,   0]");
  const std::string big = arange(100, kFloat32).view_as_shape({10, 10}).str();
  CHECK(big.find("[ 0,  1,  2, ...,  7,  8,  9],") != std::string::npos);
  CHECK(big.find(" ...,\n") != std::string::npos);
  CHECK(scalar_tensor(2.5).str().substr(scalar_tensor(2.5).str().find('\n') + 1) == "2.5");
}

TEST_CASE("bad arguments raise errors that name the op and the shapes") {
  CHECK_THROWS_WITH_AS(zeros({2, 3}) + zeros({4}), doctest::Contains("add: shapes (2, 3) and (4,)"), Error);
  CHECK_THROWS_WITH_AS(zeros({2}) + zeros({2}, kFloat64), doctest::Contains("different dtypes"), Error);
  CHECK_THROWS_WITH_AS(matmul(zeros({2, 3}), zeros({4, 5})), doctest::Contains("matmul: cannot multiply (2, 3)"),
                       Error);
  CHECK_THROWS_WITH_AS(reshape(zeros({2, 3}), {4, 2}), doctest::Contains("reshape"), Error);
  CHECK_THROWS_WITH_AS(sum(zeros({2}), {3}), doctest::Contains("sum: dim 3 is out of range"), Error);
  CHECK_THROWS_WITH_AS(index_select(zeros({3}), 0, from_vector<int64_t>({5}, {1})),
                       doctest::Contains("index 5 is out of range"), Error);
  CHECK_THROWS_WITH_AS(exp(zeros({2}, kInt64)), doctest::Contains("exp: needs a floating-point tensor"), Error);
  CHECK_THROWS_WITH_AS(zeros({2}).item(), doctest::Contains("item"), Error);
  CHECK_THROWS_WITH_AS(zeros({2}, kInt64).requires_grad_(), doctest::Contains("cannot require grad"), Error);
  CHECK_THROWS_AS(Tensor().shape(), Error);
}

TEST_CASE("host memory: freed blocks are cached by size class and handed out again") {
  CHECK(BlockCache::size_class(1) == 512);
  CHECK(BlockCache::size_class(1000) == 1024);
  CHECK(BlockCache::size_class((1 << 20) + 1) == (1 << 20) + (1 << 15));  // steps of 1/32 above 1 MiB
  CHECK(BlockCache::size_class(size_t(245) << 20) == size_t(248) << 20);
  const void* first = nullptr;
  {
    Tensor t = zeros({3 << 20});  // 12 MiB
    first = t.raw();
  }
  const size_t cached = host_memory().cached;
  CHECK(cached >= (size_t(12) << 20));
  Tensor again = zeros({3 << 20});
  CHECK(again.raw() == first);  // the same block, no new allocation
  CHECK(host_memory().cached == cached - BlockCache::size_class(size_t(12) << 20));
}

TEST_CASE("host memory: the cache keeps no more than was ever live at once, returning the smallest block that makes room") {
  for (const auto keep : {BlockCache::Keep::UpToPeakInUse, BlockCache::Keep::Everything}) {
    std::map<void*, size_t> system;  // what the system has handed out and not been given back
    BlockCache cache(
        [&](size_t n) {
          void* p = std::malloc(n);
          system[p] = n;
          return p;
        },
        [&](void* p, size_t) {
          system.erase(p);
          std::free(p);
        },
        keep);
    const size_t MiB = size_t(1) << 20;
    void* a = cache.allocate(4 * MiB);
    void* b = cache.allocate(4 * MiB);  // 8 MiB live at once
    cache.release(a);
    cache.release(b);
    void* c = cache.allocate(3 * MiB);
    CHECK(c == b);  // the most recently freed block of up to twice the size asked for
    void* small = cache.allocate(1 * MiB);  // a miss: a is more than twice too big
    // Keeping to the peak, 4 live + 4 cached + 1 would pass the 8 MiB once live: a goes back.
    CHECK(system.count(a) == (keep == BlockCache::Keep::Everything ? 1 : 0));
    cache.release(small);
    void* d = cache.allocate(6 * MiB);  // a miss again, and small, cached, goes back
    CHECK(cache.bytes_in_use() == 10 * MiB);
    CHECK(cache.peak_bytes_in_use() == 10 * MiB);
    if (keep == BlockCache::Keep::UpToPeakInUse) {
      CHECK(system.size() == 2);
      CHECK(cache.cached_bytes() == 0);
    } else {
      CHECK(system.size() == 4);
      CHECK(cache.cached_bytes() == 5 * MiB);
    }
    cache.empty();
    CHECK(system.size() == 2);  // the live blocks stay
    cache.release(c);
    cache.release(d);
    cache.empty();
    CHECK(system.empty());
  }
  // Which blocks make room: the smallest that covers the shortfall, else the largest, and on; never
  // one below smallest_returned.
  for (const size_t smallest_returned : {size_t(0), size_t(2) << 20}) {
    std::set<size_t> returned;
    BlockCache cache([](size_t n) { return std::malloc(n); },
                     [&](void* p, size_t n) {
                       returned.insert(n >> 20);
                       std::free(p);
                     },
                     BlockCache::Keep::UpToPeakInUse, smallest_returned);
    void* live = cache.allocate(size_t(20) << 20);
    std::vector<void*> blocks;
    for (size_t mib : {2, 8, 3, 1}) blocks.push_back(cache.allocate(mib << 20));  // 34 MiB live at once
    for (void* b : blocks) cache.release(b);
    void* big = cache.allocate(size_t(9) << 20);  // 20 live + 14 cached + 9 pass 34 by 9: 8 (the largest), then
    CHECK(returned == (smallest_returned == 0 ? std::set<size_t>{1, 8} : std::set<size_t>{2, 8}));  // 1 or 2
    cache.release(big);
    cache.release(live);
    cache.empty();
    CHECK(returned.size() == 6);  // empty() returns every block
  }
}

TEST_CASE("moving to a GPU fails clearly when there is none") {
  if (cuda::available()) return;
  CHECK_THROWS_AS(zeros({2}).to(Device::cuda()), Error);
}

TEST_CASE("programs start with a short OpenMP spin-wait (core/threads.cpp), unless the user chose one") {
  const char* spin = std::getenv("GOMP_SPINCOUNT");
  REQUIRE(spin != nullptr);  // set before libgomp started, by the restart in .preinit_array
  char* end = nullptr;
  CHECK(std::strtoll(spin, &end, 10) >= 0);  // 10000, or the number the user set
  CHECK(*end == '\0');
  // The restart keeps the program's name, as ps and top show it (it once showed "exe").
  std::ifstream comm("/proc/self/comm");
  std::string name;
  std::getline(comm, name);
  CHECK(name == "run_tests");
}

// oneDNN 2.6's GEMM kernels run with the stack pointer in the heap (core/interrupt.cpp): a signal's frame
// written there corrupted it. The handler must run on an alternate stack in every thread that computes.
TEST_CASE("interrupts: a signal only raises the flag, handled on an alternate stack in every computing thread") {
  install_interrupt_handler();
  struct sigaction action = {};
  sigaction(SIGTERM, nullptr, &action);
  CHECK((action.sa_flags & SA_ONSTACK) != 0);
  const int team = std::max(omp_get_max_threads(), omp_get_num_procs());  // the threads the pool keeps
  std::vector<int> has_stack(team, 0);
#pragma omp parallel num_threads(team)
  {
    stack_t stack = {};
    sigaltstack(nullptr, &stack);
    has_stack[omp_get_thread_num()] = (stack.ss_flags & SS_DISABLE) == 0 && stack.ss_size >= 16384;
  }
  for (int t = 0; t < team; ++t) CHECK_MESSAGE(has_stack[t] == 1, "OpenMP thread ", t);
  CHECK_FALSE(interrupted());
  std::raise(SIGTERM);
  CHECK(interrupted());
  clear_interrupt();
  CHECK_FALSE(interrupted());
}
