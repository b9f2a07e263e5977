#!/usr/bin/python3
"""Writes tests/reference/detection.json: torchvision 0.14's answers for the detection blocks on random
inputs (fixed seeds), which tests/test_detection.cpp compares with rcnn.cpp's:
- box_iou on random boxes (no pair with both areas 0, where torchvision divides 0 by 0);
- BoxCoder with weights (10, 10, 5, 5) (= stds 0.1, 0.1, 0.2, 0.2): encode, decode, and decode of
  deltas large enough to hit the log(1000/16) clamp;
- the proposal step (decode, clip, remove small, top-n, NMS, top-n) written with torchvision's ops;
- nms and batched_nms keep lists on random boxes with tied scores, exact duplicates, zero-area
  boxes, and 10 000 boxes (batched_nms below torchvision's 4 000-coordinate switch to a per-class loop).
Run with Debian's python3-torchvision:  make reference
"""
import json
import math
import os

import torch
import torchvision
from torchvision.models.detection._utils import BoxCoder
from torchvision.ops import batched_nms, box_iou, nms

HERE = os.path.dirname(os.path.abspath(__file__))


def random_boxes(g, n, size=200.0, max_side=80.0):
    xy = torch.rand(n, 2, generator=g) * size
    wh = torch.rand(n, 2, generator=g) * max_side + 1.0
    return torch.cat([xy, xy + wh], 1)


def flat(t):
    return {"shape": list(t.shape), "values": t.flatten().tolist()}


def main():
    g = torch.Generator().manual_seed(0)
    out = {"generator": "tests/reference/make_detection_reference.py", "torchvision": torchvision.__version__}

    a, b = random_boxes(g, 37), random_boxes(g, 23)
    out["box_iou"] = {"a": flat(a), "b": flat(b), "iou": flat(box_iou(a, b))}

    coder = BoxCoder(weights=(10.0, 10.0, 5.0, 5.0), bbox_xform_clip=math.log(1000.0 / 16))
    ref, target = random_boxes(g, 50), random_boxes(g, 50)
    deltas = coder.encode_single(target, ref)
    big = torch.randn(50, 4, generator=g) * 3.0  # dw, dh / 5 up to ~2, some past the clamp with * 3
    big[:5, 2:] = 40.0
    out["box_coder"] = {
        "reference": flat(ref), "target": flat(target), "encoded": flat(deltas),
        "decoded": flat(coder.decode_single(deltas, ref)),
        "big_deltas": flat(big), "big_decoded": flat(coder.decode_single(big, ref)),
    }

    cases = []
    for name, n, threshold in [("random 200", 200, 0.5), ("random 1000", 1000, 0.7), ("random 10000", 10000, 0.7)]:
        boxes = random_boxes(g, n, size=600.0, max_side=120.0)
        scores = torch.rand(n, generator=g)
        cases.append((name, boxes, scores, threshold))
    # tied scores (few distinct values), exact duplicates, zero-area boxes
    boxes = random_boxes(g, 300)
    scores = torch.randint(0, 5, (300,), generator=g).float() / 4
    boxes[100:150] = boxes[:50]
    boxes[200:220, 2:] = boxes[200:220, :2]
    cases.append(("ties, duplicates, zero-area", boxes, scores, 0.5))
    out["nms"] = [{"name": name, "boxes": flat(b), "scores": flat(s), "threshold": t, "keep": nms(b, s, t).tolist()}
                  for name, b, s, t in cases]

    boxes = random_boxes(g, 900, size=300.0)
    scores = torch.randint(0, 50, (900,), generator=g).float() / 49  # ties across and within labels
    labels = torch.randint(0, 6, (900,), generator=g)
    out["batched_nms"] = {"boxes": flat(boxes), "scores": flat(scores), "labels": labels.tolist(), "threshold": 0.5,
                          "keep": batched_nms(boxes, scores, labels, 0.5).tolist()}

    # The proposal step as torchvision's ops do it: decode, clip, remove small, top-n, NMS, top-n.
    anchors = random_boxes(g, 2000, size=300.0, max_side=150.0)
    objectness = torch.randn(2000, generator=g)
    deltas = torch.randn(2000, 4, generator=g) * 0.3
    boxes = torchvision.ops.clip_boxes_to_image(coder.decode_single(deltas, anchors), (200, 300))
    small = torchvision.ops.remove_small_boxes(boxes, 16.0)
    boxes, scores = boxes[small], objectness[small]
    top = scores.topk(min(1000, scores.numel())).indices
    boxes, scores = boxes[top], scores[top]
    keep = nms(boxes, scores, 0.7)[:300]
    out["proposals"] = {"anchors": flat(anchors), "objectness": flat(objectness), "deltas": flat(deltas),
                        "image_h": 200, "image_w": 300, "pre_nms_top_n": 1000, "post_nms_top_n": 300,
                        "min_size": 16.0, "nms_threshold": 0.7, "boxes": flat(boxes[keep]), "scores": flat(scores[keep])}

    path = os.path.join(HERE, "detection.json")
    with open(path, "w") as f:
        json.dump(out, f)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
