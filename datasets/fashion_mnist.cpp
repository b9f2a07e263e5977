#include "datasets/fashion_mnist.h"

#include <zlib.h>

#include <memory>

namespace rcnn {

std::vector<uint8_t> read_idx_gz(const std::string& path, std::vector<int64_t>& dims) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> f(gzopen(path.c_str(), "rb"), gzclose);
  check(f != nullptr, "read_idx_gz: cannot open ", path,
        " (Fashion-MNIST comes from Debian's dataset-fashion-mnist: run `make deps`)");
  auto read = [&](void* dst, size_t n) {
    int got = gzread(f.get(), dst, static_cast<unsigned>(n));
    check(got == static_cast<int>(n), "read_idx_gz: ", path, " is truncated or not gzip data");
  };
  // IDX: two zero bytes, a type byte (0x08 = unsigned byte), the number of dims, then each size as
  // a big-endian u32.
  uint8_t magic[4];
  read(magic, 4);
  check(magic[0] == 0 && magic[1] == 0 && magic[2] == 0x08 && magic[3] >= 1 && magic[3] <= 4, "read_idx_gz: ", path,
        " is not an IDX file of unsigned bytes");
  dims.assign(magic[3], 0);
  int64_t total = 1;
  for (auto& d : dims) {
    uint8_t b[4];
    read(b, 4);
    d = (int64_t(b[0]) << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
    total *= d;
  }
  std::vector<uint8_t> data(total);
  read(data.data(), data.size());
  return data;
}

LabelledImages load_fashion_mnist(const std::string& split, const std::string& dir) {
  check(split == "train" || split == "test", "load_fashion_mnist: split '", split, "' is not train or test");
  const std::string prefix = dir + "/" + (split == "train" ? "train" : "t10k");
  std::vector<int64_t> image_dims, label_dims;
  std::vector<uint8_t> pixels = read_idx_gz(prefix + "-images-idx3-ubyte.gz", image_dims);
  std::vector<uint8_t> labels = read_idx_gz(prefix + "-labels-idx1-ubyte.gz", label_dims);
  check(image_dims.size() == 3 && label_dims.size() == 1 && image_dims[0] == label_dims[0], "load_fashion_mnist: ",
        prefix, ": ", image_dims.size() == 3 ? image_dims[0] : -1, " images but ",
        label_dims.empty() ? -1 : label_dims[0], " labels");
  const int64_t n = image_dims[0], h = image_dims[1], w = image_dims[2];
  std::vector<float> values(pixels.size());
  for (size_t i = 0; i < pixels.size(); ++i) values[i] = pixels[i] / 255.0f;
  std::vector<int64_t> classes(labels.begin(), labels.end());
  for (int64_t c : classes) check(c < 10, "load_fashion_mnist: ", prefix, ": label ", c, " is not in [0, 10)");
  return {from_vector(values, {n, 1, h, w}), from_vector(classes, {n}),
          {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}};
}

}  // namespace rcnn
