#pragma once
// The CPU convolution's two paths, chosen inside the CPU kernel (core/kernels/conv2d.cpp), so ops
// dispatch a convolution like any other kernel: oneDNN (fast, the default for float32) or im2col +
// GEMM (the reference chapter 03 teaches; float64 gradient checks always take it). A GPU uses cuDNN.
namespace rcnn {

enum class CpuConvBackend { OneDNN, Im2col };
void set_cpu_conv_backend(CpuConvBackend backend);
CpuConvBackend cpu_conv_backend();

}  // namespace rcnn
