#!/usr/bin/python3
"""Issue 18's table from bench_detector's GPU runs (scripts/gpu-check.sh run OUTDIR detector writes them):
for each detector (TinyNet 256², VGG16 600×1000, MobileNetV2 320×512) the training step at batch 1 and 2,
inference per image, peak GPU memory and the host's waits per step, ours beside torchvision's on the
same GPU in the same call (ratio = ours / torchvision, against the issue's bar), and, where the
previous build was timed too (detector_*_before.json), ours before and after.

  bench/gpu_table.py OUTDIR [--out bench/results_detector_gpu.json]
"""
import argparse
import glob
import json
import os

# The bars of issue 18 (ratio ours / torchvision at most this).
BARS = {"tiny": {"train": 0.7, "infer": 0.7}, "vgg16": {"train": 1.0, "infer": 1.0},
        "mobilenet_v2": {"train": 1.0, "infer": None}}
MEMORY_BAR = 1.0


def load(path):
    with open(path) as f:
        return json.load(f)


def median(j, key):
    value = j.get(key)
    return value["median"] if isinstance(value, dict) else value


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir")
    parser.add_argument("--out", default="bench/results_detector_gpu.json")
    args = parser.parse_args()
    rows, device = [], None
    for path in sorted(glob.glob(os.path.join(args.outdir, "detector_*_b[0-9].json"))):
        name = os.path.basename(path)[len("detector_"):-len(".json")]
        model, batch = name.rsplit("_b", 1)
        result = load(path)
        device = device or result.get("device")
        before_path = path[:-len(".json")] + "_before.json"
        before = load(before_path)["ours"] if os.path.exists(before_path) else {}
        ours, peer = result["ours"], result.get("peer", {})
        for phase, key, what in (("train", "step_s", f"train step, batch {batch}"), ("infer", "infer_s", "inference per image")):
            if phase not in ours:
                continue
            mine, theirs = ours[phase][key], median(peer.get(phase, {}), key)
            bar = BARS[model][phase]
            ratio = mine / theirs if theirs else None
            rows.append({"model": model, "what": what, "unit": "ms", "ours": mine * 1e3,
                         "peer": theirs * 1e3 if theirs else None, "ratio": ratio, "bar": bar,
                         "meets_bar": None if ratio is None or bar is None else ratio <= bar,
                         "ours_before": before[phase][key] * 1e3 if phase in before else None})
            mine_mib, theirs_mib = ours[phase].get("peak_device_mib"), peer.get(phase, {}).get("peak_device_mib")
            ratio = mine_mib / theirs_mib if mine_mib and theirs_mib else None
            rows.append({"model": model, "what": f"peak GPU memory, {what}", "unit": "MiB", "ours": mine_mib,
                         "peer": theirs_mib, "ratio": ratio, "bar": MEMORY_BAR,
                         "meets_bar": None if ratio is None else ratio <= MEMORY_BAR,
                         "ours_before": before[phase].get("peak_device_mib") if phase in before else None})
            for key, label in (("host_waits", "host waits"), ("kernel_calls", "kernel calls")):
                rows.append({"model": model, "what": f"{label}, {what}", "unit": "", "ours": ours[phase].get(key),
                             "peer": peer.get(phase, {}).get(key), "ratio": None, "bar": None, "meets_bar": None,
                             "ours_before": before[phase].get(key) if phase in before else None})
    if not rows:
        raise SystemExit(f"gpu_table: no detector_*_bN.json in {args.outdir}")
    print(f"Faster R-CNN on {device}: ours / torchvision (same GPU, same call; median, FP32, TF32 off)")
    print(f"{'model':13} {'':46} {'before':>9} {'ours':>9} {'peer':>9} {'ratio':>6} {'bar':>5}")
    for r in rows:
        def cell(v, width=9):
            return f"{v:{width}.2f}" if isinstance(v, (int, float)) else f"{'-':>{width}}"
        verdict = "" if r["meets_bar"] is None else ("  ok" if r["meets_bar"] else "  above the bar")
        print(f"{r['model']:13} {r['what'] + (' (' + r['unit'] + ')' if r['unit'] else ''):46} {cell(r['ours_before'])} "
              f"{cell(r['ours'])} {cell(r['peer'])} {cell(r['ratio'], 6)} {cell(r['bar'], 5)}{verdict}")
    with open(args.out, "w") as f:
        json.dump({"device": device, "rows": rows}, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
