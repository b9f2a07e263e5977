#pragma once
// Shapes are plain vectors of sizes; tensors are contiguous and row-major, so a shape is all
// that is needed to find an element.
#include <cstdint>
#include <string>
#include <vector>

namespace rcnn {

using Shape = std::vector<int64_t>;

int64_t numel(const Shape& shape);
std::string shape_str(const Shape& shape);
// NumPy broadcasting: align from the right; sizes must match or one of them be 1.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
// Maps a possibly negative dim into [0, ndim); throws naming the op otherwise.
int64_t normalize_dim(int64_t dim, int64_t ndim, const char* op);

// A tensor seen as (outer, n, inner) around one dim: the layout every per-dim kernel uses.
struct Slab {
  int64_t outer = 1, n = 1, inner = 1;
};
Slab slab_around(const Shape& shape, int64_t dim);

}  // namespace rcnn
