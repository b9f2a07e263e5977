#include "core/broadcast.h"

#include "core/error.h"

namespace rcnn {

BroadcastIndexer make_broadcast(const Shape& out, const std::vector<Shape>& inputs) {
  const int nin = static_cast<int>(inputs.size());
  const int nd = static_cast<int>(out.size());
  // Per input, the stride of each output dim (right-aligned; 0 where the input has size 1).
  std::vector<std::vector<int64_t>> strides(nin, std::vector<int64_t>(nd, 0));
  for (int k = 0; k < nin; ++k) {
    const Shape& in = inputs[k];
    int64_t stride = 1;
    for (int d = nd - 1, j = static_cast<int>(in.size()) - 1; d >= 0; --d, --j) {
      if (j >= 0 && in[j] != 1) {
        strides[k][d] = stride;
        stride *= in[j];
      }
    }
  }
  // Merge dim d into the dim after it when every operand steps through both as one.
  std::vector<int64_t> size;
  std::vector<std::vector<int64_t>> merged(nin);
  for (int d = 0; d < nd; ++d) {
    if (out[d] == 1) continue;  // a size-1 dim changes no offset
    bool can_merge = !size.empty();
    for (int k = 0; k < nin && can_merge; ++k) can_merge = merged[k].back() == strides[k][d] * out[d];
    if (can_merge) {
      size.back() *= out[d];
      for (int k = 0; k < nin; ++k) merged[k].back() = strides[k][d];
    } else {
      size.push_back(out[d]);
      for (int k = 0; k < nin; ++k) merged[k].push_back(strides[k][d]);
    }
  }
  BroadcastIndexer ix;
  ix.ndim = static_cast<int>(size.size());
  check(ix.ndim <= BroadcastIndexer::kMaxDims, "broadcast: more than ", BroadcastIndexer::kMaxDims,
        " non-mergeable dims in output shape ", shape_str(out));
  for (int d = 0; d < ix.ndim; ++d) {
    ix.size[d] = size[d];
    for (int k = 0; k < nin; ++k) ix.stride[k][d] = merged[k][d];
  }
  return ix;
}

}  // namespace rcnn
