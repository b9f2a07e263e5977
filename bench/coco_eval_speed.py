#!/usr/bin/env python3
"""make bench: COCO's metric on 5 000 images with 100 detections each, `rcnn eval --metric coco
--results FILE.json` beside the port of pycocotools' COCOeval in tests/reference/make_coco_reference.py
(the same algorithm, in Python and numpy as pycocotools' cocoeval.py is; its IoU loop is Python where
pycocotools calls C, a small part of the whole), on the same generated files, in one call. rcnn's time
is the evaluation alone, as it prints it ("scored in ... ms"; reading the JSON apart); both give the
same 12 numbers (checked here to 1e-9). Medians of --reps runs of ours; the port runs once (a minute).

  /usr/bin/python3 bench/coco_eval_speed.py --rcnn build/cpu/bin/rcnn [--images 5000] [--out bench/results_coco_eval.json]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
from make_coco_reference import coco_eval  # noqa: E402
from scaling import cpu_name  # noqa: E402  (bench/scaling.py, beside this file)

SCORED = re.compile(r"scored in ([\d.]+) ms")
STAT = re.compile(r"\] = (-?[\d.]+)")


def generate(images, per_image, seed=0):
    """Ground truth of 3 categories (1-8 objects an image, of every size) and 100 detections an image:
    jittered copies of the objects and random boxes, scores with ties."""
    rng = np.random.default_rng(seed)
    cats = [{"id": c, "name": "class%d" % c} for c in (1, 2, 5)]
    gt_images, annotations, results = [], [], []
    for img in range(1, images + 1):
        W, H = int(rng.integers(200, 640)), int(rng.integers(200, 640))
        gt_images.append({"id": img, "file_name": "%06d.jpg" % img, "width": W, "height": H})
        objects = []
        for _ in range(int(rng.integers(1, 9))):
            w, h = float(rng.uniform(8, W / 2)), float(rng.uniform(8, H / 2))
            x, y = float(rng.uniform(0, W - w)), float(rng.uniform(0, H - h))
            c = int(rng.choice([1, 2, 5]))
            annotations.append({"id": len(annotations) + 1, "image_id": img, "category_id": c, "bbox": [x, y, w, h],
                                "area": w * h, "iscrowd": int(rng.random() < 0.02)})
            objects.append((c, x, y, w, h))
        for _ in range(per_image):
            if rng.random() < 0.5:
                c, x, y, w, h = objects[int(rng.integers(0, len(objects)))]
                j = rng.normal(0, 0.08, 4) * [w, h, w, h]
                box = [x + j[0], y + j[1], max(1.0, w + j[2]), max(1.0, h + j[3])]
            else:
                c = int(rng.choice([1, 2, 5]))
                box = [rng.uniform(0, W), rng.uniform(0, H), rng.uniform(4, 200), rng.uniform(4, 200)]
            results.append({"image_id": img, "category_id": c, "bbox": [float(v) for v in box],
                            "score": round(float(rng.random()), 3)})
    return {"images": gt_images, "annotations": annotations, "categories": cats}, results


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rcnn", default="build/cpu/bin/rcnn")
    p.add_argument("--images", type=int, default=5000)
    p.add_argument("--per-image", type=int, default=100)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--out", default="bench/results_coco_eval.json")
    a = p.parse_args()
    gt, results = generate(a.images, a.per_image)
    with tempfile.TemporaryDirectory(prefix="rcnn_coco_bench_") as tmp:
        os.makedirs(os.path.join(tmp, "data", "annotations"))
        with open(os.path.join(tmp, "data", "annotations", "instances_val.json"), "w") as f:
            json.dump(gt, f)
        results_file = os.path.join(tmp, "results.json")
        with open(results_file, "w") as f:
            json.dump(results, f)
        ours, stats = [], None
        for _ in range(a.reps):
            out = subprocess.run([a.rcnn, "eval", "--data", os.path.join(tmp, "data"), "--split", "val", "--results",
                                  results_file, "--metric", "coco"], check=True, capture_output=True, text=True).stdout
            ours.append(float(SCORED.search(out).group(1)) / 1000)
            stats = [float(v) for v in STAT.findall(out)]
        start = time.perf_counter()
        reference = coco_eval(gt, results)
        port_seconds = time.perf_counter() - start
    # rcnn prints three decimals: agreement to the printed digits (the tests check 1e-9 on their cases).
    agree = len(stats) == 12 and all(abs(x - y) <= 0.0005 + 1e-9 for x, y in zip(stats, reference))
    row = {"cpu": cpu_name(), "images": a.images, "detections": len(results),
           "ground_truth": len(gt["annotations"]), "rcnn_seconds_median": round(statistics.median(ours), 4),
           "reference_port_seconds": round(port_seconds, 2), "ratio": round(statistics.median(ours) / port_seconds, 4),
           "same_12_numbers": agree, "stats": reference}
    print("COCO metric, %d images, %d detections: rcnn %.3f s (median of %d), the reference port %.1f s: %.4fx; "
          "the same 12 numbers: %s" % (a.images, len(results), row["rcnn_seconds_median"], a.reps, port_seconds, row["ratio"],
                                        "yes" if agree else "NO"))
    with open(a.out, "w") as f:
        json.dump(row, f, indent=1)
    if not agree:
        sys.exit("coco_eval_speed: rcnn's numbers differ from the reference port's")


if __name__ == "__main__":
    main()
