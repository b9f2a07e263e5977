// CPU convolution through oneDNN. Each call describes the convolution with `format_tag::any`, so
// oneDNN picks its fastest (blocked) layouts; NCHW tensors are reordered in and out where they differ.
// oneDNN caches the primitives it builds, so describing the same convolution again is cheap.
#include <cstdlib>

#include <dnnl.hpp>

#include "core/kernels/onednn.h"

namespace rcnn::onednn {

using dnnl::memory;
using tag = memory::format_tag;

namespace {

dnnl::engine& engine() {
  static dnnl::engine e = [] {
    // oneDNN keeps the last 1 024 primitives it built, each with its generated code. Photographs of many
    // sizes make new ones every step, and that cache grew a MobileNetV2 fine-tuning run by 1.4 MiB a
    // step. 256 still holds a whole step of that detector when sizes repeat (its step as fast as with
    // 1 024; 10 % slower with 64). ONEDNN_PRIMITIVE_CACHE_CAPACITY, when set, decides instead.
    if (!std::getenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY")) dnnl::set_primitive_cache_capacity(256);
    return dnnl::engine(dnnl::engine::kind::cpu, 0);
  }();
  return e;
}
dnnl::stream& stream() {
  static dnnl::stream s(engine());
  return s;
}

memory::desc any(const memory::dims& dims) { return {dims, memory::data_type::f32, tag::any}; }
memory user_memory(const memory::dims& dims, tag layout, const Tensor& t) {
  return memory({dims, memory::data_type::f32, layout}, engine(), t.raw());
}

// The shapes and hyper-parameters in oneDNN's terms (its dilation counts the gaps: d - 1).
struct Shapes {
  memory::dims src, weights, bias, dst, strides, dilates, padding;
  tag weights_tag;  // oihw, or goihw for a grouped convolution (its weights split by group)
  // The input's layout: oneDNN's choice, except for few channels (a network's first layer, 3 for
  // RGB), where blocking would pad them to 8 or 16 and plain NCHW is faster (as PyTorch's ideep does).
  memory::desc src_desc() const {
    return src[1] % 8 == 0 ? any(src) : memory::desc(src, memory::data_type::f32, tag::nchw);
  }
  explicit Shapes(const Conv2dGeometry& g)
      : src{g.N, g.C, g.H, g.W},
        weights(g.groups > 1 ? memory::dims{g.groups, g.K / g.groups, g.C / g.groups, g.R, g.S}
                             : memory::dims{g.K, g.C, g.R, g.S}),
        bias{g.K},
        dst{g.N, g.K, g.OH, g.OW},
        strides{g.stride_h, g.stride_w},
        dilates{g.dilation_h - 1, g.dilation_w - 1},
        padding{g.pad_h, g.pad_w},
        weights_tag(g.groups > 1 ? tag::goihw : tag::oihw) {}
};

// oneDNN's own buffers (the layouts it reorders into, its scratchpad) are tensors from our host cache,
// like every other: reused from step to step instead of fresh pages each call, counted in
// host_memory(), and given back when the call returns (oneDNN's library-managed scratchpad stays at
// its largest, 56 MiB more for the 1280-wide RPN convolution's weight gradient).
struct Buffers {
  std::vector<Tensor> held;
  memory make(const memory::desc& d) {
    held.push_back(Tensor::empty({static_cast<int64_t>((d.get_size() + 3) / 4)}));
    return memory(d, engine(), held.back().raw());
  }
  // An input in the layout the primitive wants: the user's memory itself, or a reordered copy.
  memory input(const memory& user, const memory::desc& want) {
    if (user.get_desc() == want) return user;
    memory m = make(want);
    dnnl::reorder(user, m).execute(stream(), const_cast<memory&>(user), m);
    return m;
  }
  // An output in the wanted layout; finish_output() copies it back into the user's memory.
  memory output(const memory& user, const memory::desc& want) { return user.get_desc() == want ? user : make(want); }
};
void finish_output(memory& produced, memory& user) {
  if (produced != user) dnnl::reorder(produced, user).execute(stream(), produced, user);
}

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

dnnl::convolution_forward::primitive_desc forward_desc(const Shapes& s, bool with_bias) {
  using dnnl::convolution_forward;
  auto kind = dnnl::prop_kind::forward_training;
  auto algo = dnnl::algorithm::convolution_direct;
  memory::desc bias{s.bias, memory::data_type::f32, tag::x};
  auto desc = with_bias ? convolution_forward::desc(kind, algo, s.src_desc(), any(s.weights), bias, any(s.dst),
                                                    s.strides, s.dilates, s.padding, s.padding)
                        : convolution_forward::desc(kind, algo, s.src_desc(), any(s.weights), any(s.dst), s.strides,
                                                    s.dilates, s.padding, s.padding);
  return {desc, user_scratchpad(), engine()};
}

// oneDNN's own messages name neither our op nor the shapes ("could not create a descriptor for a
// dilated convolution forward propagation primitive"): rethrow them with both.
template <class F>
void naming_errors(const char* pass, const Conv2dGeometry& g, F&& f) {
  try {
    f();
  } catch (const dnnl::error& e) {
    throw Error(concat_message("conv2d ", pass, " (oneDNN): input (", g.N, ", ", g.C, ", ", g.H, ", ", g.W,
                               "), weight (", g.K, ", ", g.C / g.groups, ", ", g.R, ", ", g.S, "), stride ", g.stride_h,
                               ", padding ", g.pad_h, ", dilation ", g.dilation_h, ", groups ", g.groups, ": ", e.what()));
  }
}

}  // namespace

void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dGeometry& g, const Tensor& y) {
  naming_errors("forward", g, [&] {
    Shapes s(g);
    auto pd = forward_desc(s, b.defined());
    Buffers buffers;
    memory src = buffers.input(user_memory(s.src, tag::nchw, x), pd.src_desc());
    memory weights = buffers.input(user_memory(s.weights, s.weights_tag, w), pd.weights_desc());
    memory user_dst = user_memory(s.dst, tag::nchw, y);
    memory dst = buffers.output(user_dst, pd.dst_desc());
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src},
                                         {DNNL_ARG_WEIGHTS, weights},
                                         {DNNL_ARG_DST, dst},
                                         {DNNL_ARG_SCRATCHPAD, buffers.make(pd.scratchpad_desc())}};
    if (b.defined()) args[DNNL_ARG_BIAS] = user_memory(s.bias, tag::x, b);
    dnnl::convolution_forward(pd).execute(stream(), args);
    finish_output(dst, user_dst);
    stream().wait();
  });
}

void conv2d_backward_input(const Tensor& gy, const Tensor& w, const Conv2dGeometry& g, const Tensor& gx) {
  naming_errors("backward (input)", g, [&] {
    Shapes s(g);
    auto hint = forward_desc(s, false);
    dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct, s.src_desc(), any(s.weights),
                                               any(s.dst), s.strides, s.dilates, s.padding, s.padding);
    dnnl::convolution_backward_data::primitive_desc pd(desc, user_scratchpad(), engine(), hint);
    Buffers buffers;
    memory diff_dst = buffers.input(user_memory(s.dst, tag::nchw, gy), pd.diff_dst_desc());
    memory weights = buffers.input(user_memory(s.weights, s.weights_tag, w), pd.weights_desc());
    memory user_diff_src = user_memory(s.src, tag::nchw, gx);
    memory diff_src = buffers.output(user_diff_src, pd.diff_src_desc());
    dnnl::convolution_backward_data(pd).execute(stream(), {{DNNL_ARG_DIFF_DST, diff_dst},
                                                           {DNNL_ARG_WEIGHTS, weights},
                                                           {DNNL_ARG_DIFF_SRC, diff_src},
                                                           {DNNL_ARG_SCRATCHPAD, buffers.make(pd.scratchpad_desc())}});
    finish_output(diff_src, user_diff_src);
    stream().wait();
  });
}

void conv2d_backward_weight(const Tensor& gy, const Tensor& x, const Conv2dGeometry& g, const Tensor& gw,
                            const Tensor& gb) {
  naming_errors("backward (weight)", g, [&] {
    Shapes s(g);
    const bool with_bias = gb.defined();
    auto hint = forward_desc(s, with_bias);
    using dnnl::convolution_backward_weights;
    auto algo = dnnl::algorithm::convolution_direct;
    memory::desc bias{s.bias, memory::data_type::f32, tag::x};
    auto desc = with_bias ? convolution_backward_weights::desc(algo, s.src_desc(), any(s.weights), bias, any(s.dst),
                                                               s.strides, s.dilates, s.padding, s.padding)
                          : convolution_backward_weights::desc(algo, s.src_desc(), any(s.weights), any(s.dst), s.strides,
                                                               s.dilates, s.padding, s.padding);
    convolution_backward_weights::primitive_desc pd(desc, user_scratchpad(), engine(), hint);
    Buffers buffers;
    memory src = buffers.input(user_memory(s.src, tag::nchw, x), pd.src_desc());
    memory diff_dst = buffers.input(user_memory(s.dst, tag::nchw, gy), pd.diff_dst_desc());
    memory user_diff_weights = user_memory(s.weights, s.weights_tag, gw);
    memory diff_weights = buffers.output(user_diff_weights, pd.diff_weights_desc());
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src},
                                         {DNNL_ARG_DIFF_DST, diff_dst},
                                         {DNNL_ARG_DIFF_WEIGHTS, diff_weights},
                                         {DNNL_ARG_SCRATCHPAD, buffers.make(pd.scratchpad_desc())}};
    if (with_bias) args[DNNL_ARG_DIFF_BIAS] = user_memory(s.bias, tag::x, gb);
    convolution_backward_weights(pd).execute(stream(), args);
    finish_output(diff_weights, user_diff_weights);
    stream().wait();
  });
}

}  // namespace rcnn::onednn
