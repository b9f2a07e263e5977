#include "core/rng.h"

#include <sstream>

#include "core/error.h"

namespace rcnn {

std::string Generator::state() const {
  std::ostringstream os;
  os << engine_;
  return os.str();
}

void Generator::set_state(const std::string& state) {
  std::istringstream is(state);
  is >> engine_;
  check(!is.fail(), "Generator::set_state: the saved state is not a valid mt19937_64 state");
}

namespace {
uint64_t splitmix64(uint64_t x) {  // Steele, Lea and Flood 2014
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
}  // namespace

uint64_t item_seed(uint64_t seed, uint64_t index) { return splitmix64(splitmix64(seed) ^ index); }

Generator& default_generator() {
  static Generator gen(0);
  return gen;
}

void manual_seed(uint64_t seed) { default_generator().seed(seed); }

}  // namespace rcnn
