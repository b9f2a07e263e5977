#!/usr/bin/python3
"""Writes tests/reference/voc_eval.json: random ground truth and detections (fixed seeds) and the
per-class AP that py-faster-rcnn's lib/datasets/voc_eval.py gives them, with both metrics.

`voc_eval` and `voc_ap` below are a port of that file written from its published algorithm (the
evaluator behind most published VOC numbers): detections sorted by decreasing confidence
(np.argsort), each matched to the ground truth of its image with the highest "+1" IoU, a true
positive when that IoU > 0.5 and the object was not matched before, a difficult match neither, and AP
as 11-point interpolation over np.arange(0., 1.1, 0.1) or the area under the precision envelope.
Scores are drawn without ties, so numpy's unstable argsort decides nothing. Every case also holds
the edges found by comparing the two: recalls of exactly 3/5 against the 11-point thresholds, an IoU
of exactly 1/2, scores that differ past the 7th digit, and boxes reaching outside the image.
Run with Debian's python3-numpy:  make reference
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CLASSES = ["cat", "dog", "bird"]


def voc_ap(rec, prec, use_07_metric):
    if use_07_metric:
        ap = 0.0
        for t in np.arange(0.0, 1.1, 0.1):
            p = 0 if np.sum(rec >= t) == 0 else np.max(prec[rec >= t])
            ap = ap + p / 11.0
        return ap
    mrec = np.concatenate(([0.0], rec, [1.0]))
    mpre = np.concatenate(([0.0], prec, [0.0]))
    for i in range(mpre.size - 1, 0, -1):
        mpre[i - 1] = np.maximum(mpre[i - 1], mpre[i])
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1])


def voc_eval(objects, detections, classname, use_07_metric, ovthresh=0.5):
    """objects: {image: [{"name", "bbox" (VOC pixels), "difficult"}]}; detections: [(image, score, bbox)]."""
    class_recs, npos = {}, 0
    for image, objs in objects.items():
        R = [o for o in objs if o["name"] == classname]
        bbox = np.array([o["bbox"] for o in R], dtype=float).reshape(-1, 4)
        difficult = np.array([o["difficult"] for o in R]).astype(bool)
        npos += int(np.sum(~difficult))
        class_recs[image] = {"bbox": bbox, "difficult": difficult, "det": [False] * len(R)}
    image_ids = [d[0] for d in detections]
    confidence = np.array([d[1] for d in detections], dtype=float)
    BB = np.array([d[2] for d in detections], dtype=float).reshape(-1, 4)
    sorted_ind = np.argsort(-confidence)
    BB = BB[sorted_ind, :]
    image_ids = [image_ids[x] for x in sorted_ind]
    nd = len(image_ids)
    tp, fp = np.zeros(nd), np.zeros(nd)
    for d in range(nd):
        R = class_recs[image_ids[d]]
        bb = BB[d, :]
        ovmax = -np.inf
        BBGT = R["bbox"]
        if BBGT.size > 0:
            ixmin = np.maximum(BBGT[:, 0], bb[0])
            iymin = np.maximum(BBGT[:, 1], bb[1])
            ixmax = np.minimum(BBGT[:, 2], bb[2])
            iymax = np.minimum(BBGT[:, 3], bb[3])
            iw = np.maximum(ixmax - ixmin + 1.0, 0.0)
            ih = np.maximum(iymax - iymin + 1.0, 0.0)
            inters = iw * ih
            uni = ((bb[2] - bb[0] + 1.0) * (bb[3] - bb[1] + 1.0) +
                   (BBGT[:, 2] - BBGT[:, 0] + 1.0) * (BBGT[:, 3] - BBGT[:, 1] + 1.0) - inters)
            overlaps = inters / uni
            ovmax = np.max(overlaps)
            jmax = np.argmax(overlaps)
        if ovmax > ovthresh:
            if not R["difficult"][jmax]:
                if not R["det"][jmax]:
                    tp[d] = 1.0
                    R["det"][jmax] = 1
                else:
                    fp[d] = 1.0
        else:
            fp[d] = 1.0
    fp, tp = np.cumsum(fp), np.cumsum(tp)
    rec = tp / float(npos)
    prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
    return voc_ap(rec, prec, use_07_metric), npos


def random_case(seed):
    rng = np.random.RandomState(seed)
    size = 200
    objects, detections = {}, []
    used_scores = set()

    def score(value=None):
        while True:  # no ties: the reference's argsort is unstable
            s = round(float(rng.uniform(0.01, 1.0)), int(rng.choice([3, 6, 9]))) if value is None else value
            if s not in used_scores:
                used_scores.add(s)
                return s
            value = None

    for i in range(int(rng.randint(8, 20))):
        image = f"{seed:02d}{i:04d}"
        objs = []
        for _ in range(int(rng.randint(0, 5))):
            x1, y1 = int(rng.randint(-10, 170)), int(rng.randint(-10, 170))  # may reach outside the image
            w, h = int(rng.randint(5, 60)), int(rng.randint(5, 60))
            objs.append({"name": CLASSES[int(rng.randint(0, 3))], "bbox": [x1 + 1, y1 + 1, x1 + w, y1 + h],
                         "difficult": int(rng.uniform() < 0.15)})
        objects[image] = objs
        for o in objs:
            for _ in range(int(rng.choice([0, 1, 1, 1, 2]))):  # missed, found, or found twice
                jitter = rng.normal(0, [3, 3, 3, 3])
                box = [round(float(v), int(rng.choice([0, 1, 3]))) for v in np.array(o["bbox"]) + jitter]
                detections.append((image, score(), box, o["name"] if rng.uniform() < 0.9 else CLASSES[0]))
        for _ in range(int(rng.randint(0, 4))):  # detections of nothing
            x1, y1 = rng.uniform(0, 150, 2)
            box = [round(float(x1), 1), round(float(y1), 1), round(float(x1 + rng.uniform(5, 50)), 1),
                   round(float(y1 + rng.uniform(5, 50)), 1)]
            detections.append((image, score(), box, CLASSES[int(rng.randint(0, 3))]))
    return objects, detections


def edge_case():
    objects, detections = {}, []
    score = lambda s: s  # noqa: E731  (written out, distinct)
    # The edges: an IoU of exactly 1/2 (0.5 in double, above it in float32), scores 1e-8 apart, and a
    # class with 5 positives whose detections reach recall 3/5 exactly.
    objects["edge"] = [{"name": "bird", "bbox": [47, 109, 60, 147], "difficult": 0}] + [
        {"name": "dog", "bbox": [10 + 30 * k, 10, 30 + 30 * k, 40], "difficult": 0} for k in range(5)]
    # listed lower score first: merged into a tie by float rounding, file order would rank it first
    detections.append(("edge", score(0.912345671), [47, 109, 60, 147], "bird"))
    detections.append(("edge", score(0.912345678), [49.8, 113.2, 64.2, 142.2], "bird"))
    for k in range(3):
        detections.append(("edge", score(0.99 - k * 1e-8), [10 + 30 * k, 10, 30 + 30 * k, 40], "dog"))
    return objects, detections


def main():
    cases = []
    for seed in range(25):
        objects, detections = random_case(seed) if seed < 24 else edge_case()
        ap = {}
        for metric, use_07 in (("07", True), ("area", False)):
            ap[metric] = {}
            for c in CLASSES:
                value, npos = voc_eval(objects, [d[:3] for d in detections if d[3] == c], c, use_07)
                if npos > 0:  # the reference's AP is NaN without positives; rcnn.cpp leaves such a class out
                    ap[metric][c] = float(value)
        cases.append({
            "seed": seed,
            "objects": [{"image": im, **o} for im, objs in objects.items() for o in objs],
            "images": list(objects.keys()),
            "detections": [{"image": d[0], "score": d[1], "bbox": d[2], "name": d[3]} for d in detections],
            "ap": ap,
        })
    path = os.path.join(HERE, "voc_eval.json")
    with open(path, "w") as f:
        json.dump({"generator": "tests/reference/make_voc_reference.py", "classes": CLASSES, "cases": cases}, f)
    print(f"wrote {len(cases)} random VOC evaluations to {path}")


if __name__ == "__main__":
    main()
