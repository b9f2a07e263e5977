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

Generator& default_generator() {
  static Generator gen(0);
  return gen;
}

void manual_seed(uint64_t seed) { default_generator().seed(seed); }

}  // namespace rcnn
