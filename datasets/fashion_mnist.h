#pragma once
// Fashion-MNIST (Xiao et al. 2017): 70 000 28x28 grey images of 10 kinds of clothing, as shipped by
// Debian's dataset-fashion-mnist in gzip-compressed IDX files (read with zlib).
#include <string>
#include <vector>

#include "core/tensor.h"

namespace rcnn {

const std::string kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

struct LabelledImages {
  Tensor images;  // (N, 1, 28, 28) float32 in [0, 1]
  Tensor labels;  // (N) int64 in [0, 10)
  std::vector<std::string> class_names;
};

// split: "train" (60 000) or "test" (10 000). Errors name the file and what is wrong with it.
LabelledImages load_fashion_mnist(const std::string& split, const std::string& dir = kFashionMnistDir);

// Reads one gzip IDX file: the sizes of its dims, and its unsigned bytes.
std::vector<uint8_t> read_idx_gz(const std::string& path, std::vector<int64_t>& dims);

}  // namespace rcnn
