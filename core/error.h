#pragma once
// Errors are exceptions whose message names the op and what was wrong with its inputs
// (shapes, dtypes, devices, paths). Tools catch them at main() and exit non-zero.
#include <sstream>
#include <stdexcept>
#include <string>

namespace rcnn {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class... Parts>
std::string concat_message(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  return os.str();
}

// check(cond, "conv2d: ", ...) throws Error with the parts joined when cond is false.
template <class... Parts>
inline void check(bool cond, const Parts&... parts) {
  if (!cond) throw Error(concat_message(parts...));
}

}  // namespace rcnn
