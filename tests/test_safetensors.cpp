// safetensors files both ways with PyTorch, their bad inputs, checkpoints that resume exactly, and
// the import of torchvision's VGG16 layout by name.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/rng.h"
#include "layers/checkpoint.h"
#include "layers/losses.h"
#include "layers/modules.h"
#include "layers/safetensors.h"
#include "models/vgg16.h"
#include "ops/ops.h"
#include "tests/files.h"
#include "tests/helpers.h"

using namespace rcnn;
using rcnn::testing::check_close;
using rcnn::testing::read_file;
using rcnn::testing::TempDir;
using rcnn::testing::write_file;
namespace fs = std::filesystem;

namespace {

const char* kRegenerate = "regenerate with `make reference` (needs Debian's python3-torch)";

// The same tensors as roundtrip_tensors() in tests/reference/make_reference.py.
NamedTensors roundtrip_tensors() {
  return {{"a", reshape(arange(6), {2, 3}) * 0.5},
          {"b", from_vector<int64_t>({1, -2, 3}, {3})},
          {"c", from_vector<double>({1.5, -2.25, 1e-300, 3.0}, {2, 2})}};
}

void check_same(const NamedTensors& got, const NamedTensors& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CHECK(got[i].first == want[i].first);
    CHECK(got[i].second.dtype() == want[i].second.dtype());
    check_close(got[i].second, want[i].second, 0, 0);
  }
}

}  // namespace

TEST_CASE("safetensors: files written by PyTorch load") {
  Metadata meta;
  NamedTensors from_torch = load_safetensors("tests/reference/torch_written.safetensors", &meta);
  check_same(from_torch, roundtrip_tensors());
  CHECK(meta["source"] == "torch");
}

TEST_CASE("safetensors: rcnn.cpp writes the file PyTorch read back") {
  const std::string fixture = "tests/reference/cpp_written.safetensors";
  if (std::getenv("RCNN_WRITE_FIXTURES")) save_safetensors(fixture, roundtrip_tensors(), {{"source", "rcnn.cpp"}});
  TempDir dir("safetensors");
  save_safetensors(dir / "mine.safetensors", roundtrip_tensors(), {{"source", "rcnn.cpp"}});
  check_same(load_safetensors(dir / "mine.safetensors"), roundtrip_tensors());
  // The writer is deterministic, so equal bytes mean PyTorch reads this file as it read the fixture.
  CHECK_MESSAGE(read_file(dir / "mine.safetensors") == read_file(fixture), fixture, " differs from what ",
                "rcnn.cpp writes now; ", kRegenerate);
  CHECK_FALSE(fs::exists(dir / "mine.safetensors.tmp"));
}

TEST_CASE("safetensors: bad files give errors that name the file and the problem") {
  TempDir dir("safetensors");
  const std::string good = dir / "good.safetensors", bad = dir / "bad.safetensors";
  save_safetensors(good, roundtrip_tensors());
  const std::string bytes = read_file(good);
  CHECK_THROWS_WITH_AS(load_safetensors(dir / "missing.safetensors"), doctest::Contains("cannot open"), Error);
  write_file(bad, bytes.substr(0, 5));
  CHECK_THROWS_WITH_AS(load_safetensors(bad), doctest::Contains("too short"), Error);
  write_file(bad, bytes.substr(0, 40));
  CHECK_THROWS_WITH_AS(load_safetensors(bad), doctest::Contains("the header claims"), Error);
  write_file(bad, bytes.substr(0, bytes.size() - 8));
  CHECK_THROWS_WITH_AS(load_safetensors(bad), doctest::Contains("outside the"), Error);
  std::string broken = bytes;
  broken[8] = '[';
  write_file(bad, broken);
  CHECK_THROWS_WITH_AS(load_safetensors(bad), doctest::Contains(bad.c_str()), Error);
  std::string f16 = bytes;
  f16.replace(f16.find("\"F32\""), 5, "\"F16\"");
  write_file(bad, f16);
  CHECK_THROWS_WITH_AS(load_safetensors(bad), doctest::Contains("dtype F16"), Error);
  CHECK_THROWS_WITH_AS(save_safetensors(dir / "no/such/dir/x.safetensors", roundtrip_tensors()),
                       doctest::Contains("cannot open"), Error);
}

namespace {
// A tiny classifier and one training step on fixed data, for the checkpoint tests.
struct Trainer {
  Generator gen{3};
  nn::Sequential net{{std::make_shared<nn::Linear>(4, 8, true, gen), std::make_shared<nn::ReLU>(),
                      std::make_shared<nn::Dropout>(0.2, gen), std::make_shared<nn::Linear>(8, 3, true, gen)}};
  optim::SGD sgd{net.named_parameters(), {0.05, 0.9, 1e-3}};
  void step(int64_t i) {
    Generator data(100 + i);
    Tensor x = randn({16, 4}, data);
    Tensor y = argmax(narrow(x, 1, 0, 3), 1);  // the class is the largest of the first three inputs
    sgd.zero_grad();
    cross_entropy(net.forward(x), y).backward();
    sgd.step();
  }
};
}  // namespace

TEST_CASE("checkpoints resume exactly: model, momentum, step and random state") {
  TempDir dir("safetensors");
  Trainer a;
  for (int64_t i = 0; i < 3; ++i) a.step(i);
  save_checkpoint(dir / "ckpt.safetensors", a.net, a.sgd, 3, a.gen);
  for (int64_t i = 3; i < 6; ++i) a.step(i);

  Trainer b;  // a fresh run, resumed from the file
  const int64_t step = load_checkpoint(dir / "ckpt.safetensors", b.net, b.sgd, b.gen);
  CHECK(step == 3);
  for (int64_t i = step; i < 6; ++i) b.step(i);
  NamedTensors pa = a.net.named_parameters(), pb = b.net.named_parameters();
  for (size_t i = 0; i < pa.size(); ++i) check_close(pb[i].second, pa[i].second, 0, 0);  // bit for bit
}

TEST_CASE("checkpoints: a model that does not match is named and left unchanged") {
  TempDir dir("safetensors");
  Trainer a;
  save_checkpoint(dir / "ckpt.safetensors", a.net, a.sgd, 0, a.gen);
  Generator gen(1);
  nn::Sequential other{{std::make_shared<nn::Linear>(4, 9, true, gen)}};
  optim::SGD sgd(other.named_parameters(), {});
  Tensor before = other.named_parameters()[0].second.clone();
  CHECK_THROWS_WITH_AS(load_checkpoint(dir / "ckpt.safetensors", other, sgd, gen),
                       doctest::Contains("0.weight: expected (9, 4) float32, got (8, 4) float32"), Error);
  check_close(other.named_parameters()[0].second, before, 0, 0);
  save_safetensors(dir / "plain.safetensors", roundtrip_tensors());
  CHECK_THROWS_WITH_AS(load_checkpoint(dir / "plain.safetensors", other, sgd, gen),
                       doctest::Contains("not an rcnn.cpp checkpoint"), Error);
}

TEST_CASE("VGG16: torchvision's features load by name and compute what torchvision computed") {
  NamedTensors params, data;
  for (auto& [name, t] : load_safetensors("tests/reference/vgg16_small.safetensors"))
    (name.rfind("test.", 0) == 0 ? data : params).emplace_back(name, t.to(kFloat32));
  REQUIRE_MESSAGE(data.size() == 2, "tests/reference/vgg16_small.safetensors is incomplete; ", kRegenerate);
  models::VGG16 vgg(/*width_divisor=*/16);
  CHECK(vgg.named_parameters().size() == 26);
  CHECK(vgg.named_parameters()[0].first == "features.0.weight");
  CHECK(vgg.named_parameters()[25].first == "features.28.bias");
  vgg.load_parameters(params);
  check_close(vgg.forward(data[0].second), data[1].second, 1e-5, 1e-4);
}
