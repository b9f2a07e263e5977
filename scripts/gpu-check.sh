#!/usr/bin/env bash
# The CUDA path on a GPU machine that has no apt (../shared/gpu.md): run here with `pack`, there with `run`.
#   scripts/gpu-check.sh pack        build with CUDA=1 and pack the test and benchmark programs with the
#                                    Debian libraries they load into .gpu/rcnn-gpu.tar.xz (git ignores .gpu/)
#   scripts/gpu-check.sh run OUTDIR [--no-bench]
#                                    on the GPU machine: unpack, find cuDNN/cuBLAS, run the CPU-vs-CUDA
#                                    suites (also under compute-sanitizer), the whole test suite, the
#                                    detector trained on CUDA, and (unless --no-bench) bench_conv and
#                                    bench_detection --device cuda beside PyTorch on the same GPU; logs to OUTDIR
set -uo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
pack)
  set -e
  make CUDA=1 tests benchmarks tools
  rm -rf .gpu && mkdir -p .gpu/stage/lib .gpu/stage/bin
  cp build/cuda/tests/run_tests build/cuda/bin/bench_conv build/cuda/bin/bench_detection build/cuda/bin/bench_detector \
    build/cuda/bin/rcnn .gpu/stage/bin/
  ldd build/cuda/tests/run_tests | awk '/=> \//{print $3}' |
    grep -vE 'libc\.|libm\.|libstdc|libgcc|ld-linux|libdl|libpthread|librt|cuda|cudnn|cublas' |
    xargs -I{} cp -L {} .gpu/stage/lib/
  strip .gpu/stage/bin/*
  tar cJf .gpu/rcnn-gpu.tar.xz -C .gpu/stage . && rm -rf .gpu/stage
  ls -la .gpu/rcnn-gpu.tar.xz
  ;;
run)
  out=${2:?usage: gpu-check.sh run OUTDIR}
  mkdir -p "$out" /tmp/rcnn-gpu && tar xJf .gpu/rcnn-gpu.tar.xz -C /tmp/rcnn-gpu
  libs=$(find / -xdev \( -name 'libcudnn.so.9' -o -name 'libcublas.so.13' \) -printf '%h\n' 2>/dev/null | sort -u | tr '\n' ':')
  export LD_LIBRARY_PATH="/tmp/rcnn-gpu/lib:${libs}${LD_LIBRARY_PATH:-}"
  bin=/tmp/rcnn-gpu/bin
  { nvidia-smi -L; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; echo "libs: $libs"; } 2>&1 | tee "$out/device.txt"
  echo "=== CPU-vs-CUDA suites ==="
  timeout 300 "$bin/run_tests" -tc='CUDA*' -s 2>&1 | tail -n 300 > "$out/cuda_tests.log"; tail -n 40 "$out/cuda_tests.log"
  echo "=== the whole suite ==="
  timeout 300 "$bin/run_tests" 2>&1 | tail -n 400 > "$out/all_tests.log"; tail -n 12 "$out/all_tests.log"
  if command -v compute-sanitizer > /dev/null; then
    echo "=== compute-sanitizer memcheck, CUDA suites ==="
    timeout 150 compute-sanitizer --tool memcheck --print-limit 20 "$bin/run_tests" -tc='CUDA*' -tce='*shapes_tiny*' 2>&1 |
      tail -n 60 > "$out/memcheck.log"
    tail -n 8 "$out/memcheck.log"
  fi
  echo "=== the detector on CUDA: shapes_tiny, 300 iterations, then evaluated ==="
  "$bin/rcnn" data shapes --out /tmp/rcnn-gpu/shapes --images 400 > /dev/null
  timeout 240 "$bin/rcnn" train --device cuda --config configs/shapes_tiny.yaml --data /tmp/rcnn-gpu/shapes \
    --out /tmp/rcnn-gpu/run --set train.iterations=300 2>&1 | tail -n 4 | tee "$out/train_cuda.log"
  timeout 60 "$bin/rcnn" eval --device cuda --checkpoint /tmp/rcnn-gpu/run --data /tmp/rcnn-gpu/shapes --metric area 2>&1 |
    tail -n 6 | tee -a "$out/train_cuda.log"
  echo "=== the detector's training step and inference on CUDA, stage by stage ==="
  timeout 120 "$bin/bench_detector" --device cuda --warmup 5 --steps 20 --out "$out/results_detector_gpu.json" 2>&1 |
    tee "$out/bench_detector.log"
  [[ "${3:-}" == "--no-bench" ]] && exit 0
  echo "=== conv2d and GEMM speed beside PyTorch on this GPU ==="
  python3 bench/peer_conv.py --device cuda --reps 20 --json-out "$out/peer_conv_cuda.json" > "$out/peer.log" 2>&1 || tail "$out/peer.log"
  timeout 300 "$bin/bench_conv" --device cuda --reps 20 --peer "$out/peer_conv_cuda.json" --out "$out/results_gpu.json" 2>&1 | tee "$out/bench.log"
  python3 bench/peer_detection.py --device cuda --reps 20 --json-out "$out/peer_detection_cuda.json" > /dev/null 2>&1
  timeout 120 "$bin/bench_detection" --device cuda --reps 20 --peer "$out/peer_detection_cuda.json" \
    --out "$out/results_detection_gpu.json" 2>&1 | tee -a "$out/bench.log"
  ;;
*)
  echo "usage: scripts/gpu-check.sh pack | run OUTDIR" >&2
  exit 2
  ;;
esac
