#pragma once
#include "core/tensor.h"

namespace rcnn {

// (M, K) @ (K, N) -> (M, N); (B, M, K) @ (B, K, N) -> (B, M, N); a 2-D operand (or a batch of 1)
// is shared by every batch element of the other.
Tensor matmul(const Tensor& a, const Tensor& b);
// op(a) @ op(b) where op transposes the last two dims when asked: the transpose is a flag to the
// GEMM, never a copy (linear layers use matmul(x, weight, false, true)).
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b);

}  // namespace rcnn
