// CUDA twin of core/kernels/conv2d.cpp through cuDNN: forward, backward data, backward filter and
// bias. Each geometry gets a plan once: its descriptors and, per pass, the algorithm (cuDNN's
// heuristics, the fastest whose workspace fits); workspaces come from the caching allocator.
// Math is plain FP32 (no TF32), so results match the CPU within float rounding.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>

#include "core/kernels.h"
#include "cuda/check.h"
#include "cuda/handles.h"
#include "cuda/runtime.h"

namespace rcnn::cuda {

namespace {

constexpr size_t kMaxWorkspace = size_t(1) << 30;

cudnnDataType_t cudnn_type(DType t) { return t == kFloat32 ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE; }

// The descriptors of one convolution, destroyed with it.
struct ConvDescriptors {
  cudnnTensorDescriptor_t x, y, bias;
  cudnnFilterDescriptor_t w;
  cudnnConvolutionDescriptor_t conv;

  ConvDescriptors(const Conv2dGeometry& g, DType dtype) {
    const cudnnDataType_t t = cudnn_type(dtype);
    RCNN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    RCNN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    RCNN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&bias));
    RCNN_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    RCNN_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    RCNN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, t, g.N, g.C, g.H, g.W));
    RCNN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, t, g.N, g.K, g.OH, g.OW));
    RCNN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(bias, CUDNN_TENSOR_NCHW, t, 1, g.K, 1, 1));
    RCNN_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, t, CUDNN_TENSOR_NCHW, g.K, g.C / g.groups, g.R, g.S));
    RCNN_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, g.pad_h, g.pad_w, g.stride_h, g.stride_w, g.dilation_h,
                                                     g.dilation_w, CUDNN_CROSS_CORRELATION, t));
    RCNN_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, CUDNN_FMA_MATH));
    RCNN_CUDNN_CHECK(cudnnSetConvolutionGroupCount(conv, static_cast<int>(g.groups)));
  }
  ~ConvDescriptors() {
    cudnnDestroyTensorDescriptor(x);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyTensorDescriptor(bias);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyConvolutionDescriptor(conv);
  }
  ConvDescriptors(const ConvDescriptors&) = delete;
  ConvDescriptors& operator=(const ConvDescriptors&) = delete;
};

using GeometryKey = std::tuple<int, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                               int64_t, int64_t, int64_t, int64_t, int64_t>;
GeometryKey key_of(const Conv2dGeometry& g, DType t) {
  return {static_cast<int>(t), g.N, g.C, g.H, g.W, g.K, g.R, g.S, g.stride_h, g.stride_w, g.pad_h, g.pad_w,
          g.dilation_h, g.dilation_w, g.groups};
}

// What one geometry needs on every call, built once: its descriptors and, per pass, the algorithm.
struct Plan {
  Plan(const Conv2dGeometry& g, DType dtype) : d(g, dtype) {}
  ConvDescriptors d;
  std::optional<cudnnConvolutionFwdAlgoPerf_t> forward;
  std::optional<cudnnConvolutionBwdDataAlgoPerf_t> backward_input;
  std::optional<cudnnConvolutionBwdFilterAlgoPerf_t> backward_weight;
};

// Plans live as long as the program (a few per layer and image size).
Plan& plan_for(const Conv2dGeometry& g, DType dtype) {
  static std::map<GeometryKey, std::unique_ptr<Plan>> plans;
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  std::unique_ptr<Plan>& p = plans[key_of(g, dtype)];
  if (!p) p = std::make_unique<Plan>(g, dtype);
  return *p;
}

// The first (fastest) algorithm of cuDNN's ranked list that succeeds within the workspace limit,
// asked once per geometry and pass. `rank` calls the matching cudnnGet...Algorithm_v7.
template <class Perf, class Rank>
Perf choose(std::optional<Perf>& chosen, Rank rank) {
  if (chosen) return *chosen;
  constexpr int kMax = 16;
  Perf perf[kMax];
  int found = 0;
  rank(kMax, &found, perf);
  for (int i = 0; i < found; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= kMaxWorkspace) return *(chosen = perf[i]);
  throw Error("conv2d: cuDNN found no algorithm for this convolution");
}

// Scratch memory for one cuDNN call, from the caching allocator.
struct Workspace {
  void* ptr = nullptr;
  size_t bytes;
  int device;
  explicit Workspace(size_t n) : bytes(n) {
    RCNN_CUDA_CHECK(cudaGetDevice(&device));
    if (bytes) ptr = allocate(bytes, device);
  }
  ~Workspace() {
    if (ptr) release(ptr, device);
  }
};

template <class T>
const void* one() {
  static const T v = 1;
  return &v;
}
template <class T>
const void* zero() {
  static const T v = 0;
  return &v;
}

// The frame all three cuDNN calls share: the geometry's plan (descriptors, the algorithm remembered for
// this pass; `rank` asks cuDNN for its list the first time) and a workspace of the size it needs.
template <class Perf, class Rank, class Run>
void with_algorithm(std::optional<Perf> Plan::*pass, const Conv2dGeometry& g, DType dtype, Rank rank, Run run) {
  Plan& plan = plan_for(g, dtype);
  cudnnHandle_t h = cudnn_handle();
  Perf perf = choose(plan.*pass, [&](int n, int* found, Perf* p) { rank(h, plan.d, n, found, p); });
  Workspace ws(perf.memory);
  run(h, plan.d, perf.algo, ws);
}

}  // namespace

void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dGeometry& g, const Tensor& y) {
  with_algorithm(
      &Plan::forward, g, x.dtype(),
      [](cudnnHandle_t h, const ConvDescriptors& d, int n, int* found, cudnnConvolutionFwdAlgoPerf_t* p) {
        RCNN_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(h, d.x, d.w, d.conv, d.y, n, found, p));
      },
      [&](cudnnHandle_t h, const ConvDescriptors& d, cudnnConvolutionFwdAlgo_t algo, const Workspace& ws) {
        RCNN_FLOAT_DISPATCH(x.dtype(), T, {
          RCNN_CUDNN_CHECK(cudnnConvolutionForward(h, one<T>(), d.x, x.raw(), d.w, w.raw(), d.conv, algo, ws.ptr,
                                                   ws.bytes, zero<T>(), d.y, y.raw()));
          if (b.defined()) RCNN_CUDNN_CHECK(cudnnAddTensor(h, one<T>(), d.bias, b.raw(), one<T>(), d.y, y.raw()));
        });
      });
}

void conv2d_backward_input(const Tensor& gy, const Tensor& w, const Conv2dGeometry& g, const Tensor& gx) {
  with_algorithm(
      &Plan::backward_input, g, gy.dtype(),
      [](cudnnHandle_t h, const ConvDescriptors& d, int n, int* found, cudnnConvolutionBwdDataAlgoPerf_t* p) {
        RCNN_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w, d.y, d.conv, d.x, n, found, p));
      },
      [&](cudnnHandle_t h, const ConvDescriptors& d, cudnnConvolutionBwdDataAlgo_t algo, const Workspace& ws) {
        RCNN_FLOAT_DISPATCH(gy.dtype(), T, {
          RCNN_CUDNN_CHECK(cudnnConvolutionBackwardData(h, one<T>(), d.w, w.raw(), d.y, gy.raw(), d.conv, algo,
                                                        ws.ptr, ws.bytes, zero<T>(), d.x, gx.raw()));
        });
      });
}

void conv2d_backward_weight(const Tensor& gy, const Tensor& x, const Conv2dGeometry& g, const Tensor& gw,
                            const Tensor& gb) {
  with_algorithm(
      &Plan::backward_weight, g, gy.dtype(),
      [](cudnnHandle_t h, const ConvDescriptors& d, int n, int* found, cudnnConvolutionBwdFilterAlgoPerf_t* p) {
        RCNN_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x, d.y, d.conv, d.w, n, found, p));
      },
      [&](cudnnHandle_t h, const ConvDescriptors& d, cudnnConvolutionBwdFilterAlgo_t algo, const Workspace& ws) {
        RCNN_FLOAT_DISPATCH(gy.dtype(), T, {
          RCNN_CUDNN_CHECK(cudnnConvolutionBackwardFilter(h, one<T>(), d.x, x.raw(), d.y, gy.raw(), d.conv, algo,
                                                          ws.ptr, ws.bytes, zero<T>(), d.w, gw.raw()));
          if (gb.defined())
            RCNN_CUDNN_CHECK(cudnnConvolutionBackwardBias(h, one<T>(), d.y, gy.raw(), zero<T>(), d.bias, gb.raw()));
        });
      });
}

}  // namespace rcnn::cuda
