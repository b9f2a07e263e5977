#pragma once
// The CPU threads: one OpenMP pool serves our kernels, oneDNN (convolutions, float32 GEMM) and
// OpenBLAS (float64 GEMM, its OpenMP build). core/threads.cpp also shortens OpenMP's spin-wait before
// the program starts, so the framework degrades gracefully on a busy machine (docs/architecture.md).
namespace rcnn {

// Sets the number of threads of the pool (OpenMP's and OpenBLAS's), e.g. from a --threads option.
void set_cpu_threads(int threads);
int cpu_threads();

}  // namespace rcnn
