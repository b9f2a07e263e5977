#!/usr/bin/env python3
"""The peer of bench_detection: torchvision's nms on the same random boxes (generated here with the same
recipe, not the same values: NMS time depends on how many boxes survive, which the recipe fixes).
  python3 bench/peer_detection.py [--device cpu|cuda] [--threads 2] [--reps 10] [--json-out FILE]
"""
import argparse
import json
import statistics
import time

import torch
import torchvision

SIZES = [1000, 12000]


def boxes_and_scores(n, g, device):
    xy = torch.rand(n, 2, generator=g) * 600
    wh = torch.rand(n, 2, generator=g) * 120 + 1
    return torch.cat([xy, xy + wh], 1).to(device), torch.rand(n, generator=g).to(device)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--json-out", default="peer_detection.json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    sync = torch.cuda.synchronize if args.device == "cuda" else (lambda: None)
    rows = []
    for n in SIZES:
        boxes, scores = boxes_and_scores(n, g, args.device)
        for _ in range(3):
            torchvision.ops.nms(boxes, scores, 0.7)
        sync()
        ts = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            torchvision.ops.nms(boxes, scores, 0.7)
            sync()
            ts.append(time.perf_counter() - t0)
        rows.append({"op": "nms", "shape": f"{n} boxes @0.7", "median_s": statistics.median(ts)})
        print(f"nms {n:6d} boxes: {statistics.median(ts) * 1e3:.3f} ms")
    with open(args.json_out, "w") as f:
        json.dump({"device": args.device, "threads": args.threads, "torchvision": torchvision.__version__, "rows": rows}, f)


if __name__ == "__main__":
    main()
