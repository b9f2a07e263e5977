#!/usr/bin/env bash
# The CUDA path on a GPU machine that has no apt (../shared/gpu.md): run here with `pack`, there with `run`.
#   scripts/gpu-check.sh pack [--before REV]
#                                    build with CUDA=1 and pack the test and benchmark programs with the
#                                    Debian libraries they load into .gpu/rcnn-gpu.tar.xz (git ignores .gpu/);
#                                    with --before, also bench_detector as commit REV built it, so that one
#                                    call on the GPU times the detector before and after a change
#   scripts/gpu-check.sh run OUTDIR [STAGE...]
#                                    on the GPU machine: unpack, find cuDNN/cuBLAS, then the stages (all of
#                                    them where none is named; logs and JSON to OUTDIR):
#                                      tests     the CPU-vs-CUDA suites (also under compute-sanitizer's memcheck;
#                                                NMS under racecheck), the whole suite
#                                      train     shapes_tiny trained on CUDA for 300 iterations and evaluated
#                                      detector  TinyNet, VGG16 and MobileNetV2 detectors beside torchvision on this
#                                                GPU (train step at batch 1 and 2, inference, peak memory, host waits;
#                                                before and after where packed), bench/gpu_table.py's table, and
#                                                VGG16 with voc07_vgg16's settings (seconds per step)
#                                      conv      bench_conv and bench_detection beside PyTorch
set -uo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
pack)
  set -e
  make CUDA=1 tests benchmarks tools
  rm -rf .gpu/stage && mkdir -p .gpu/stage/lib .gpu/stage/bin
  cp build/cuda/tests/run_tests build/cuda/bin/bench_conv build/cuda/bin/bench_detection build/cuda/bin/bench_detector \
    build/cuda/bin/rcnn .gpu/stage/bin/
  if [[ "${2:-}" == "--before" ]]; then
    rev=${3:?usage: gpu-check.sh pack --before REV}
    git worktree remove --force .gpu/before 2>/dev/null || rm -rf .gpu/before
    git worktree add --detach .gpu/before "$rev"
    make -C .gpu/before CUDA=1 benchmarks
    cp .gpu/before/build/cuda/bin/bench_detector .gpu/stage/bin/bench_detector_before
    git -C .gpu/before log -1 --format='bench_detector_before: %h %s' > .gpu/stage/before.txt
  fi
  ldd build/cuda/tests/run_tests | awk '/=> \//{print $3}' |
    grep -vE 'libc\.|libm\.|libstdc|libgcc|ld-linux|libdl|libpthread|librt|cuda|cudnn|cublas' |
    xargs -I{} cp -L {} .gpu/stage/lib/
  strip .gpu/stage/bin/*
  tar cJf .gpu/rcnn-gpu.tar.xz -C .gpu/stage . && rm -rf .gpu/stage
  ls -la .gpu/rcnn-gpu.tar.xz
  ;;
run)
  out=${2:?usage: gpu-check.sh run OUTDIR [tests] [train] [detector] [conv]}
  shift 2
  stages=" ${*:-tests train detector} "
  mkdir -p "$out" /tmp/rcnn-gpu && tar xJf .gpu/rcnn-gpu.tar.xz -C /tmp/rcnn-gpu
  libs=$(find / -xdev \( -name 'libcudnn.so.9' -o -name 'libcublas.so.13' \) -printf '%h\n' 2>/dev/null | sort -u | tr '\n' ':')
  export LD_LIBRARY_PATH="/tmp/rcnn-gpu/lib:${libs}${LD_LIBRARY_PATH:-}"
  bin=/tmp/rcnn-gpu/bin
  { nvidia-smi -L; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; echo "libs: $libs"
    cat /tmp/rcnn-gpu/before.txt 2>/dev/null; } 2>&1 | tee "$out/device.txt"
  if [[ "$stages" == *" tests "* ]]; then
    echo "=== CPU-vs-CUDA suites ==="
    timeout 300 "$bin/run_tests" -tc='CUDA*' -s 2>&1 | tail -n 300 > "$out/cuda_tests.log"; tail -n 40 "$out/cuda_tests.log"
    echo "=== the whole suite ==="
    timeout 300 "$bin/run_tests" 2>&1 | tail -n 400 > "$out/all_tests.log"; tail -n 12 "$out/all_tests.log"
    if command -v compute-sanitizer > /dev/null; then
      echo "=== compute-sanitizer memcheck, CUDA suites ==="
      timeout 150 compute-sanitizer --tool memcheck --print-limit 20 "$bin/run_tests" -tc='CUDA*' -tce='*shapes_tiny*' 2>&1 |
        tail -n 60 > "$out/memcheck.log"
      tail -n 8 "$out/memcheck.log"
      echo "=== compute-sanitizer racecheck, NMS (its greedy pass shares memory between threads) ==="
      timeout 150 compute-sanitizer --tool racecheck "$bin/run_tests" -tc='*NMS (the bitmask kernel)*' 2>&1 |
        tail -n 20 > "$out/racecheck.log"
      tail -n 4 "$out/racecheck.log"
    fi
  fi
  if [[ "$stages" == *" train "* ]]; then
    echo "=== the detector on CUDA: shapes_tiny, 300 iterations, then evaluated ==="
    "$bin/rcnn" data shapes --out /tmp/rcnn-gpu/shapes --images 400 > /dev/null
    timeout 240 "$bin/rcnn" train --device cuda --config configs/shapes_tiny.yaml --data /tmp/rcnn-gpu/shapes \
      --out /tmp/rcnn-gpu/run --set train.iterations=300 2>&1 | tail -n 4 | tee "$out/train_cuda.log"
    timeout 60 "$bin/rcnn" eval --device cuda --checkpoint /tmp/rcnn-gpu/run --data /tmp/rcnn-gpu/shapes --metric area 2>&1 |
      tail -n 6 | tee -a "$out/train_cuda.log"
  fi
  if [[ "$stages" == *" detector "* ]]; then
    echo "=== the detector beside torchvision on this GPU: train step (batch 1, 2), inference, memory, host waits ==="
    # model, its config, classes, warm-up and timed iterations
    while read -r model config classes warmup steps; do
      for batch in 1 2; do
        phases=train,infer
        [[ $batch == 2 ]] && phases=train
        name="$out/detector_${model}_b${batch}"
        timeout 300 python3 bench/peer_detector.py --device cuda --backbone "$model" --batch "$batch" --phases "$phases" \
          --warmup "$warmup" --steps "$steps" --json-out "$name.peer.json" > "$name.peer.log" 2>&1 || tail -n 5 "$name.peer.log"
        for which in bench_detector bench_detector_before; do
          [[ -x "$bin/$which" ]] || continue
          suffix=""; [[ $which == bench_detector_before ]] && suffix=_before
          timeout 300 "$bin/$which" --device cuda --config "$config" --classes "$classes" --batch "$batch" --phases "$phases" \
            --warmup "$warmup" --steps "$steps" --peer "$name.peer.json" --out "$name$suffix.json" > "$name$suffix.log" 2>&1 ||
            tail -n 5 "$name$suffix.log"
        done
      done
    done <<'MODELS'
tiny configs/tv_tiny_peer.yaml 3 5 20
vgg16 configs/tv_vgg16_peer.yaml 20 3 20
mobilenet_v2 configs/tv_mobilenet_peer.yaml 3 5 20
MODELS
    python3 bench/gpu_table.py "$out" --out "$out/results_detector_gpu.json" 2>&1 | tee "$out/table.txt"
    echo "=== VGG16 with voc07_vgg16's settings (random weights): seconds per step ==="
    timeout 300 "$bin/bench_detector" --device cuda --config configs/voc07_vgg16.yaml --set backbone.weights= --classes 20 \
      --phases train --warmup 3 --steps 20 --out "$out/detector_voc07_vgg16.json" 2>&1 | tee "$out/detector_voc07_vgg16.log" | head -n 3
  fi
  if [[ "$stages" == *" conv "* ]]; then
    echo "=== conv2d and GEMM speed beside PyTorch on this GPU ==="
    python3 bench/peer_conv.py --device cuda --reps 20 --json-out "$out/peer_conv_cuda.json" > "$out/peer.log" 2>&1 || tail "$out/peer.log"
    timeout 300 "$bin/bench_conv" --device cuda --reps 20 --peer "$out/peer_conv_cuda.json" --out "$out/results_gpu.json" 2>&1 | tee "$out/bench.log"
    python3 bench/peer_detection.py --device cuda --reps 20 --json-out "$out/peer_detection_cuda.json" > /dev/null 2>&1
    timeout 120 "$bin/bench_detection" --device cuda --reps 20 --peer "$out/peer_detection_cuda.json" \
      --out "$out/results_detection_gpu.json" 2>&1 | tee -a "$out/bench.log"
  fi
  ;;
*)
  echo "usage: scripts/gpu-check.sh pack [--before REV] | run OUTDIR [tests] [train] [detector] [conv]" >&2
  exit 2
  ;;
esac
