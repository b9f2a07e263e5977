#include "core/tensor.h"

#include <cmath>
#include <map>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "core/kernels.h"
#include "core/rng.h"

namespace rcnn {

Tensor Tensor::empty(const Shape& shape, TensorOptions options) {
  for (int64_t s : shape) check(s >= 0, "empty: negative size in shape ", shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(rcnn::numel(shape) * dtype_size(options.dtype), options.device);
  impl->shape = shape;
  impl->dtype = options.dtype;
  return Tensor(std::move(impl));
}

TensorImpl& Tensor::impl() const {
  check(impl_ != nullptr, "use of an undefined tensor");
  return *impl_;
}

int64_t Tensor::size(int64_t d) const { return shape()[normalize_dim(d, dim(), "size")]; }

template <class T>
T* Tensor::data() const {
  constexpr DType want = std::is_same_v<T, float> ? kFloat32 : std::is_same_v<T, double> ? kFloat64 : kInt64;
  check(dtype() == want, "data<", dtype_name(want), ">: the tensor holds ", dtype_name(dtype()));
  return static_cast<T*>(raw());
}
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;
template int64_t* Tensor::data<int64_t>() const;

template <class T>
std::vector<T> Tensor::to_vector() const {
  Tensor host = is_cuda() ? cpu() : *this;
  std::vector<T> out(numel());
  RCNN_DISPATCH(dtype(), S, {
    const S* p = host.data<S>();
    for (int64_t i = 0; i < numel(); ++i) out[i] = static_cast<T>(p[i]);
  });
  return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;

double Tensor::item() const {
  check(numel() == 1, "item: the tensor has ", numel(), " elements ", shape_str(shape()), ", not 1");
  return to_vector<double>()[0];
}

double Tensor::at(const std::vector<int64_t>& index) const {
  check(static_cast<int64_t>(index.size()) == dim(), "at: ", index.size(), " indices for a tensor of shape ",
        shape_str(shape()));
  int64_t offset = 0;
  for (int64_t d = 0; d < dim(); ++d) {
    check(index[d] >= 0 && index[d] < shape()[d], "at: index ", index[d], " out of range in dim ", d,
          " of shape ", shape_str(shape()));
    offset = offset * shape()[d] + index[d];
  }
  double value = 0;
  Tensor host = is_cuda() ? cpu() : *this;
  RCNN_DISPATCH(dtype(), T, value = static_cast<double>(host.data<T>()[offset]));
  return value;
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), options());
  copy_bytes(out.raw(), device(), raw(), device(), numel() * dtype_size(dtype()));
  return out;
}

const Tensor& Tensor::copy_(const Tensor& src) const {
  check(src.shape() == shape() && src.dtype() == dtype(), "copy_: source ", shape_str(src.shape()), " ",
        dtype_name(src.dtype()), " does not fit destination ", shape_str(shape()), " ", dtype_name(dtype()));
  copy_bytes(raw(), device(), src.raw(), src.device(), numel() * dtype_size(dtype()));
  return *this;
}

Tensor Tensor::view_as_shape(const Shape& new_shape) const {
  check(rcnn::numel(new_shape) == numel(), "reshape: cannot view a tensor of shape ", shape_str(shape()),
        " as ", shape_str(new_shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->shape = new_shape;
  impl->dtype = dtype();
  return Tensor(std::move(impl));
}

namespace {

// Nested brackets as PyTorch prints them; a dim longer than 6 in a tensor of more than 64 elements
// shows its first and last 3 entries around "...". Walked twice: once to format the elements shown
// (and find the widest), once to print.
struct Printer {
  const std::vector<double>& values;
  const Shape& shape;
  bool summarize;
  std::map<int64_t, std::string> text;  // the shown elements by flat offset
  size_t width = 1;
  std::ostringstream* os = nullptr;     // null: the formatting pass

  void walk(size_t dim, int64_t offset, int64_t stride) {
    if (dim == shape.size()) {
      if (!os) {
        std::ostringstream one;
        one << std::setprecision(5) << (values[offset] == 0 ? 0.0 : values[offset]);  // -0 prints as 0
        width = std::max(width, (text[offset] = one.str()).size());
      } else {
        *os << std::string(width - text[offset].size(), ' ') << text[offset];
      }
      return;
    }
    const int64_t n = shape[dim], inner = stride / std::max<int64_t>(n, 1);
    if (os) *os << "[";
    for (int64_t i = 0; i < n; ++i) {
      if (summarize && n > 6 && i == 3) {
        if (os) *os << "...";
        i = n - 4;
      } else {
        walk(dim + 1, offset + i * inner, inner);
      }
      if (!os || i + 1 == n) continue;
      if (dim + 1 == shape.size())
        *os << ", ";
      else  // a row per line, a blank line between the blocks of 3-D and up
        *os << (shape.size() - dim > 2 ? ",\n\n" : ",\n") << std::string(dim + 1, ' ');
    }
    if (os) *os << "]";
  }
};

}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "Tensor(undefined)";
  std::ostringstream os;
  os << "Tensor(shape=" << shape_str(shape()) << ", dtype=" << dtype_name(dtype()) << ", device=" << device().str();
  if (requires_grad()) os << ", requires_grad";
  os << ")\n";
  const std::vector<double> values = to_vector<double>();
  Printer p{values, shape(), numel() > 64, {}, 1, nullptr};
  p.walk(0, 0, numel());
  p.os = &os;
  p.walk(0, 0, numel());
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

// --- factories -----------------------------------------------------------------------------

Tensor full(const Shape& shape, double value, TensorOptions options) {
  Tensor out = Tensor::empty(shape, options);
  RCNN_KERNEL(out.device(), fill, out, value);
  return out;
}
Tensor zeros(const Shape& shape, TensorOptions options) { return full(shape, 0.0, options); }
Tensor ones(const Shape& shape, TensorOptions options) { return full(shape, 1.0, options); }
Tensor scalar_tensor(double value, TensorOptions options) { return full({}, value, options); }

template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, Device device) {
  check(static_cast<int64_t>(values.size()) == rcnn::numel(shape), "from_vector: ", values.size(),
        " values for shape ", shape_str(shape));
  constexpr DType dt = std::is_same_v<T, float> ? kFloat32 : std::is_same_v<T, double> ? kFloat64 : kInt64;
  Tensor out = Tensor::empty(shape, {dt, device});
  copy_bytes(out.raw(), device, values.data(), kCPU, values.size() * sizeof(T));
  return out;
}
template Tensor from_vector<float>(const std::vector<float>&, const Shape&, Device);
template Tensor from_vector<double>(const std::vector<double>&, const Shape&, Device);
template Tensor from_vector<int64_t>(const std::vector<int64_t>&, const Shape&, Device);

// Fills a host tensor from a function of the flat index, then moves it to the device.
template <class F>
static Tensor generate(const Shape& shape, TensorOptions options, F&& value_at) {
  Tensor host = Tensor::empty(shape, options.dtype);
  RCNN_DISPATCH(options.dtype, T, {
    T* p = host.data<T>();
    for (int64_t i = 0; i < host.numel(); ++i) p[i] = static_cast<T>(value_at(i));
  });
  return options.device.is_cuda() ? host.to(options.device) : host;
}

Tensor tensor(std::initializer_list<double> values, TensorOptions options) {
  std::vector<double> v(values);
  return generate({static_cast<int64_t>(v.size())}, options, [&](int64_t i) { return v[i]; });
}

Tensor arange(double start, double end, double step, TensorOptions options) {
  check(step != 0 && (end - start) / step >= 0, "arange: empty or infinite range [", start, ", ", end,
        ") with step ", step);
  auto n = static_cast<int64_t>(std::ceil((end - start) / step));
  return generate({n}, options, [&](int64_t i) { return start + i * step; });
}
Tensor arange(int64_t n, TensorOptions options) { return arange(0, static_cast<double>(n), 1, options); }

Tensor rand(const Shape& shape, Generator& gen, TensorOptions options) {
  check(is_floating(options.dtype), "rand: needs a floating dtype");
  return generate(shape, options, [&](int64_t) { return gen.uniform(); });
}
Tensor randn(const Shape& shape, Generator& gen, TensorOptions options) {
  check(is_floating(options.dtype), "randn: needs a floating dtype");
  return generate(shape, options, [&](int64_t) { return gen.normal(); });
}

Tensor randperm(int64_t n, Generator& gen, Device device) {
  check(n >= 0, "randperm: n = ", n, " is negative");
  std::vector<int64_t> p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[gen.below(i + 1)]);
  return from_vector(p, {n}, device);
}

}  // namespace rcnn
