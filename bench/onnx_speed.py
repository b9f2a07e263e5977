#!/usr/bin/env python3
"""make bench: the exported detectors in onnxruntime (CPU, npm's onnxruntime-node) beside ours, same
threads, same image: the demo's (runs/shapes_tiny, 256 x 256) and demo-real's (runs/fruit_mobilenet_v2,
320 x 427, a test photograph's size at the network's scale), where those runs exist. Each: `rcnn export`,
then the median of 20 inferences of one image in each (after a warm-up): ours through predict_objects
(bench/bench_predict.cpp, as `rcnn predict`, resize and normalisation included), onnxruntime through
tests/onnx/run_model.js (the uint8 image in, detections out; normalisation is in the graph). The ratio
is a fact for the README, not a bar.

  /usr/bin/python3 bench/onnx_speed.py --rcnn build/cpu/bin/rcnn --bench build/cpu/bin/bench_predict [--out bench/results_onnx.json]
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

from scaling import cpu_name  # bench/scaling.py, beside this file

DETECTORS = [  # name, run, images, height, width
    ("demo (shapes_tiny)", "runs/shapes_tiny", "data/shapes/JPEGImages", 256, 256),
    ("demo-real (fruit_mobilenet_v2)", "runs/fruit_mobilenet_v2", "../shared/data/fruit/VOCdevkit/VOC2007/JPEGImages", 320, 427),
]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rcnn", required=True)
    p.add_argument("--bench", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--out", default="bench/results_onnx.json")
    a = p.parse_args()
    if not os.path.isdir("tests/onnx/node_modules/onnxruntime-node"):
        print("onnx_speed: onnxruntime-node is not installed (scripts/deps.sh --onnxruntime): skipped")
        return
    rows = []
    work = tempfile.mkdtemp(prefix="rcnn_onnx_speed_")
    for name, run, images, height, width in DETECTORS:
        files = sorted(glob.glob(images + "/*.jpg"))
        if not os.path.exists(run + "/checkpoint.safetensors") or not files:
            print("onnx_speed: %s: no %s (or no images at %s): skipped" % (name, run, images))
            continue
        model, rgb = os.path.join(work, "model.onnx"), os.path.join(work, "image.rgb")
        subprocess.run([a.rcnn, "export", "--checkpoint", run, "--out", model, "--height", str(height), "--width", str(width)],
                       check=True, stdout=subprocess.DEVNULL)
        ours = json.loads(subprocess.run([a.bench, "--checkpoint", run, "--image", files[-1], "--height", str(height), "--width",
                                          str(width), "--threads", str(a.threads), "--repeat", str(a.repeat), "--rgb-out", rgb],
                                         check=True, capture_output=True, text=True).stdout)
        out = subprocess.run(["node", "tests/onnx/run_model.js", model, str(height), str(width), rgb, "--threads", str(a.threads),
                              "--repeat", str(a.repeat)], check=True, capture_output=True, text=True).stdout.splitlines()
        theirs, timing = json.loads(out[0]), json.loads(out[1])
        row = {"detector": name, "input": [height, width], "ours_ms": round(ours["median_ms"], 2),
               "onnxruntime_ms": round(timing["median_ms"], 2), "onnxruntime_over_ours": round(timing["median_ms"] / ours["median_ms"], 3),
               "detections": [ours["detections"], len(theirs["scores"])], "model_mib": round(os.path.getsize(model) / 2**20, 1)}
        rows.append(row)
        print("%-32s %4d x %-4d  ours %8.2f ms   onnxruntime %8.2f ms   (%.2fx)   detections %d / %d" % (
            name, height, width, row["ours_ms"], row["onnxruntime_ms"], row["onnxruntime_over_ours"], *row["detections"]))
    result = {"cpu": cpu_name(), "cores": os.cpu_count(), "threads": a.threads, "repeat": a.repeat, "detectors": rows}
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
