// Chapter 01 — tensors. Builds tensors, looks at their shapes, does arithmetic with broadcasting,
// reduces, multiplies matrices, and moves a tensor to a GPU when there is one.
#include <iostream>

#include "core/rng.h"
#include "ops/ops.h"

using namespace rcnn;

int main() try {
  // 1. A tensor is a shape, a dtype, a device and contiguous row-major data.
  Tensor x = reshape(arange(6), {2, 3});  // [[0 1 2] [3 4 5]]
  std::cout << "x = " << x << "\n\n";
  std::cout << "x.at({1, 2}) = " << x.at({1, 2}) << "  (row-major offset 1*3 + 2 = 5)\n\n";

  // 2. Broadcasting: (2, 3) + (3,) adds the row to both rows; (2, 1) * (2, 3) scales each row.
  Tensor row = tensor({10, 20, 30});
  Tensor col = reshape(tensor({1, -1}), {2, 1});
  std::cout << "x + row = " << x + row << "\n\n";
  std::cout << "col * x = " << col * x << "\n\n";

  // 3. Reductions keep or drop the reduced dims.
  std::cout << "sum(x, {0}) = " << sum(x, {0}) << "\n";
  std::cout << "mean(x, {1}, keepdim) = " << mean(x, {1}, true) << "\n";
  std::cout << "max(x) = " << max(x).item() << ", argmax(x) = " << argmax(x).item() << "\n\n";

  // 4. Matrix multiply: (2, 3) @ (3, 2).
  Tensor y = matmul(x, transpose(x, 0, 1));
  std::cout << "x @ x^T = " << y << "\n\n";

  // 5. Indices are int64 tensors: sort, topk, index_select.
  Generator gen(1);
  Tensor scores = rand({6}, gen);
  auto top = topk(scores, 3);
  std::cout << "scores = " << scores << "\ntop-3 indices = " << top.indices << "\n\n";

  // 6. Devices: the same code runs on a GPU when rcnn.cpp is built with CUDA=1 and one is present.
  if (cuda::available()) {
    Tensor g = x.to(Device::cuda());
    std::cout << "on " << cuda::device_name(0) << ": sum = " << sum(g * 2.0).item() << "\n";
  } else {
    std::cout << "no GPU here (" << (cuda::built_with_cuda() ? "none found" : "built without CUDA=1")
              << "): everything above ran on the CPU\n";
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
