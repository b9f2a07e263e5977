#!/usr/bin/env python3
"""The peer of bench_detection: torchvision's nms and roi_align on the same kind of random input (generated here with the same
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

    def time_it(op, shape, fn):
        """The median of args.reps calls after 3 warm-ups, each waited for on a GPU."""
        for _ in range(3):
            fn()
        sync()
        ts = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            fn()
            sync()
            ts.append(time.perf_counter() - t0)
        rows.append({"op": op, "shape": shape, "median_s": statistics.median(ts)})
        print(f"{op} {shape}: {statistics.median(ts) * 1e3:.3f} ms")

    for n in SIZES:
        boxes, scores = boxes_and_scores(n, g, args.device)
        time_it("nms", f"{n} boxes @0.7", lambda: torchvision.ops.nms(boxes, scores, 0.7))

    # roi_align: 300 RoIs on a (1, 256, 16, 16) map (a 256 x 256 image at stride 16), 7 x 7, sampling 2
    features = torch.randn(1, 256, 16, 16, generator=g).to(args.device)
    xy = torch.rand(300, 2, generator=g) * 200
    rois = torch.cat([torch.zeros(300, 1), xy, xy + torch.rand(300, 2, generator=g) * 120 + 8], 1).to(args.device)
    grad = torch.randn(300, 256, 7, 7, generator=g).to(args.device)
    features_g = features.clone().requires_grad_(True)

    def forward():
        with torch.no_grad():
            torchvision.ops.roi_align(features, rois, 7, 1 / 16, 2, False)

    def forward_backward():
        features_g.grad = None
        torchvision.ops.roi_align(features_g, rois, 7, 1 / 16, 2, False).backward(grad)

    time_it("roi_align fwd", "300 RoIs 256x16x16 7x7", forward)
    time_it("roi_align fwd+bwd", "300 RoIs 256x16x16 7x7", forward_backward)

    # The proposal step of a 38 x 63 map with 9 anchors (21 546): decode, clip, remove small, top 12 000,
    # NMS 0.7, top 2 000, with torchvision's ops in that order (its RPN does the same per image).
    from torchvision.models.detection._utils import BoxCoder
    coder = BoxCoder(weights=(10.0, 10.0, 5.0, 5.0))
    n = 38 * 63 * 9
    xy = torch.rand(n, 2, generator=g) * torch.tensor([1008.0, 608.0])
    anchors = torch.cat([xy, xy + torch.rand(n, 2, generator=g) * 300 + 60], 1).to(args.device)
    objectness = torch.randn(n, generator=g).to(args.device)
    deltas = (torch.randn(n, 4, generator=g) * 0.2).to(args.device)

    def proposal_step():
        boxes = torchvision.ops.clip_boxes_to_image(coder.decode_single(deltas, anchors), (608, 1008))
        small = torchvision.ops.remove_small_boxes(boxes, 16.0)
        boxes, scores = boxes[small], objectness[small]
        top = scores.topk(min(12000, scores.numel())).indices
        keep = torchvision.ops.nms(boxes[top], scores[top], 0.7)[:2000]
        return boxes[top][keep]

    time_it("proposals", "38x63 map, 9 anchors", proposal_step)
    with open(args.json_out, "w") as f:
        json.dump({"device": args.device, "threads": args.threads, "torchvision": torchvision.__version__, "rows": rows}, f)


if __name__ == "__main__":
    main()
