#pragma once
// Tensor: a cheap, shared handle to a contiguous row-major array with a shape, a dtype and a
// device, plus the autograd fields (requires_grad, grad, and the Node that produced it).
// There are no hidden strides: every element of a tensor of shape (d0, ..., dk) sits at the
// row-major offset of its index, so kernels need only the shape.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/shape.h"
#include "core/storage.h"

namespace rcnn {

struct Node;  // autograd/node.h

// What a factory makes: dtype and device. Converts from a DType or a Device alone, so
// zeros({2, 3}, kFloat64) and zeros({2, 3}, Device::cuda()) both read naturally.
struct TensorOptions {
  DType dtype = kFloat32;
  Device device = kCPU;
  TensorOptions() = default;
  TensorOptions(DType t) : dtype(t) {}
  TensorOptions(Device d) : device(d) {}
  TensorOptions(DType t, Device d) : dtype(t), device(d) {}
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  DType dtype = kFloat32;
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;
  std::shared_ptr<Node> grad_fn;  // null for leaves and for tensors made without recording
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}
  // An uninitialised tensor; every kernel writes all of its output.
  static Tensor empty(const Shape& shape, TensorOptions options = {});

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  int64_t dim() const { return static_cast<int64_t>(impl().shape.size()); }
  int64_t size(int64_t d) const;
  int64_t numel() const { return rcnn::numel(impl().shape); }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device(); }
  TensorOptions options() const { return {dtype(), device()}; }
  bool is_cuda() const { return device().is_cuda(); }

  void* raw() const { return impl().storage->data(); }
  template <class T>
  T* data() const;

  // Element access for tests and printing (copies to the host when the tensor is on a GPU).
  double item() const;
  double at(const std::vector<int64_t>& index) const;
  template <class T>
  std::vector<T> to_vector() const;

  Tensor to(Device device) const;  // differentiable
  Tensor to(DType dtype) const;    // differentiable between floating types
  Tensor cpu() const { return to(kCPU); }
  Tensor clone() const;  // a copy with its own storage, not recorded
  // Overwrites this tensor's elements with src's (same shape and dtype, any devices). Not recorded:
  // for initialisers, optimizer steps and loading weights.
  const Tensor& copy_(const Tensor& src) const;
  // Same storage, new shape; the autograd-recorded version is reshape() in ops/shape.h.
  Tensor view_as_shape(const Shape& shape) const;

  // Autograd (implemented in autograd/).
  bool requires_grad() const { return impl().requires_grad; }
  Tensor& requires_grad_(bool on = true);
  Tensor grad() const;
  void set_grad(const Tensor& g);
  void zero_grad();
  const std::shared_ptr<Node>& grad_fn() const { return impl().grad_fn; }
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  Tensor detach() const;  // shares the data, forgets the graph
  void backward(const Tensor& gradient = {}, bool retain_graph = false) const;
  // The same, handing each leaf to leaf_done as soon as its gradient is complete (every op that used it
  // has passed its share on). An optimizer can update that parameter there and drop its gradient while
  // the rest of the pass runs, so the largest gradients never exist at once (PyTorch 2.1's
  // register_post_accumulate_grad_hook). The ops still to run have not used the leaf, so changing it in
  // place is safe unless a copy made with detach() shares its data.
  void backward(const std::function<void(Tensor& leaf)>& leaf_done) const;

  std::string str() const;
  TensorImpl& impl() const;
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& other) const { return impl_ == other.impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// Factories. Values are made on the host and moved to the requested device.
Tensor zeros(const Shape& shape, TensorOptions options = {});
Tensor ones(const Shape& shape, TensorOptions options = {});
Tensor full(const Shape& shape, double value, TensorOptions options = {});
Tensor scalar_tensor(double value, TensorOptions options = {});
Tensor arange(double start, double end, double step = 1, TensorOptions options = {});
Tensor arange(int64_t n, TensorOptions options = {});
template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, Device device = kCPU);
Tensor tensor(std::initializer_list<double> values, TensorOptions options = {});  // 1-D

class Generator;  // core/rng.h
Tensor rand(const Shape& shape, Generator& gen, TensorOptions options = {});   // U[0, 1)
Tensor randn(const Shape& shape, Generator& gen, TensorOptions options = {});  // N(0, 1)
// int64 (n): a uniformly random permutation of 0..n-1 (Fisher-Yates), drawn on the host from `gen`
// so a seed gives the same permutation on every device; its first k are k samples without replacement.
Tensor randperm(int64_t n, Generator& gen, Device device = kCPU);

}  // namespace rcnn
