#!/usr/bin/env python3
"""The peer of `bench_conv`: PyTorch's conv2d and matmul on the same shapes, timed the same way (warm-up,
then the median of `reps` calls; on a GPU each call is followed by torch.cuda.synchronize()).
CPU: PyTorch's default path (oneDNN), with --threads threads, as bench_conv. GPU: cuDNN and cuBLAS in
FP32 with TF32 off, as our calls. The settings match the project's original peer (conv_bench.py in the
shared peers folder): 3x3 convolutions, padding 1, batch 1, with bias.
Writes the JSON that bench_conv reads with --peer.
  python3 bench/peer_conv.py [--device cpu|cuda] [--threads 2] [--reps 20] [--json-out FILE]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

# (name, Cin, Cout, H, W): the names bench/bench_conv.cpp prints
CONV_SHAPES = [
    ("vgg 64->64 @300x500", 64, 64, 300, 500),
    ("vgg 128->128 @150x250", 128, 128, 150, 250),
    ("vgg 256->256 @75x125", 256, 256, 75, 125),
    ("vgg 512->512 @38x63", 512, 512, 38, 63),
    ("tiny c1 3->32 @256x256", 3, 32, 256, 256),
    ("tiny c2 32->64 @128x128", 32, 64, 128, 128),
    ("tiny c3 64->128 @64x64", 64, 128, 64, 64),
    ("tiny c4 128->256 @32x32", 128, 256, 32, 32),
]
GEMM_SHAPES = [  # (name, M, K, N)
    ("square 1024x1024x1024", 1024, 1024, 1024),
    ("im2col W[256x2304] @ cols[2304x4096]", 256, 2304, 4096),
    ("vgg fc6 300x25088 @ 25088x4096", 300, 25088, 4096),
]


def timed(fn, reps, sync, warmup=3):
    for _ in range(warmup):
        fn()
    sync()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        sync()
        ts.append(time.perf_counter() - t0)
    return {"median": statistics.median(ts), "min": min(ts), "max": max(ts), "n": len(ts)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--threads", type=int, default=2, help="CPU threads (bench_conv checks it matches)")
    ap.add_argument("--json-out", default="peer_conv.json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    dev = torch.device(args.device)
    on_gpu = args.device == "cuda"
    sync = torch.cuda.synchronize if on_gpu else (lambda: None)
    g = torch.Generator(device="cpu").manual_seed(0)
    out = {"threads": args.threads, "device": torch.cuda.get_device_name(0) if on_gpu else "cpu",
           "torch": torch.__version__, "cudnn": torch.backends.cudnn.version() if on_gpu else None,
           "conv": [], "gemm": []}
    for name, cin, cout, h, w in CONV_SHAPES:
        x = torch.randn(1, cin, h, w, generator=g).to(dev)
        wt = (torch.randn(cout, cin, 3, 3, generator=g) * 0.05).to(dev)
        b = torch.zeros(cout, device=dev)
        gy = torch.randn(1, cout, h, w, generator=g).to(dev)
        xg, wg, bg = (t.clone().requires_grad_(True) for t in (x, wt, b))

        def fwd():
            with torch.no_grad():
                F.conv2d(x, wt, b, padding=1)

        def fwdbwd():
            xg.grad = wg.grad = bg.grad = None
            F.conv2d(xg, wg, bg, padding=1).backward(gy)

        row = {"shape": name, "backend": "cuDNN" if on_gpu else "oneDNN(default)",
               "fwd_s": timed(fwd, args.reps, sync), "fwdbwd_s": timed(fwdbwd, args.reps, sync)}
        out["conv"].append(row)
        print(f"{name:28s} fwd {row['fwd_s']['median'] * 1e3:8.3f} ms  fwd+bwd {row['fwdbwd_s']['median'] * 1e3:8.3f} ms")
    for name, m, k, n in GEMM_SHAPES:
        a = torch.randn(m, k, generator=g).to(dev)
        bm = torch.randn(k, n, generator=g).to(dev)
        row = {"shape": name, "lib": "torch.matmul", "threads": args.threads, "time_s": timed(lambda: a @ bm, args.reps, sync)}
        out["gemm"].append(row)
        print(f"{name:40s} {row['time_s']['median'] * 1e3:8.3f} ms")
    with open(args.json_out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
