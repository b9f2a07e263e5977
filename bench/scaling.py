#!/usr/bin/env python3
"""make bench: data-parallel training on this machine's cores (`mpirun -np N rcnn train`).

Images per second of whole training runs, N = 1 process with 2 threads against N = 2 processes of 1
thread each (and 1 process of 1 thread, for what threads alone give), at B = 1 and B = 2 images a step
per process, for the demo's TinyNet detector
(configs/shapes_tiny.yaml on generated shapes) and the MobileNetV2 fine-tuning config
(configs/fruit_mobilenet_v2.yaml on ../shared/data/fruit, where it is at hand); the share of a step
spent summing gradients over processes, apart from the time a process waits there for the slowest
(images differ in work); and that share against the all-reduce's bucket size. Every
figure is the median of --reps runs made in this one call, the configurations interleaved (the machines
are shared and noisy).

  /usr/bin/python3 bench/scaling.py --rcnn build/cpu/bin/rcnn [--reps 3] [--out bench/results_scaling.json]
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

# mpirun on loopback only; allowed as root (CI's containers); each rank bound to its own core.
MPIRUN = ["mpirun", "--mca", "btl", "self,vader,tcp", "--mca", "oob_tcp_if_include", "lo",
          "--mca", "btl_tcp_if_include", "lo", "--bind-to", "core"]
DONE = re.compile(r"trained to iteration (\d+) \((\d+) images\) in ([\d.]+) s \([\d.]+ images/s; ([\d.]+) s of it waiting for images"
                  r"(?:, ([\d.]+) s summing gradients over \d+ processes, ([\d.]+) s waiting for the slowest)?")


def cpu_name():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def train(rcnn, config, data, ranks, threads, images_per_step, steps, extra, bucket_mb=None):
    """One training run in a fresh folder: (images/s, the all-reduce's share of the run's time, the share
    spent waiting for the slowest process before it)."""
    out = tempfile.mkdtemp(prefix="rcnn_scaling_")
    try:
        cmd = [rcnn, "train", "--config", config, "--data", data, "--out", os.path.join(out, "run"),
               "--threads", str(threads), "--set", f"train.iterations={steps}",
               "--set", f"train.images_per_step={images_per_step}", "--set", "train.checkpoint_every=1000000"] + extra
        if bucket_mb is not None:
            cmd += ["--bucket-mb", str(bucket_mb)]
        if ranks > 1:
            cmd = MPIRUN + ["-np", str(ranks)] + cmd
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        run = subprocess.run(cmd, env=env, capture_output=True, text=True)
        found = DONE.search(run.stdout)
        if run.returncode != 0 or not found:
            sys.exit(f"scaling: {' '.join(cmd)} failed ({run.returncode}):\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
        images, seconds = int(found.group(2)), float(found.group(3))
        allreduce, waiting = float(found.group(5) or 0), float(found.group(6) or 0)
        return images / seconds, allreduce / seconds, waiting / seconds
    finally:
        shutil.rmtree(out, ignore_errors=True)


def interleaved(reps, runs):
    """Each run of `runs` (keyword arguments of train), `reps` times, in rounds of one of each: a busy spell
    of this shared machine slows every configuration alike. The medians, in the order given."""
    results = [[] for _ in runs]
    for _ in range(reps):
        for i, kw in enumerate(runs):
            results[i].append(train(**kw))
    return [tuple(statistics.median(r[k] for r in rs) for k in range(3)) for rs in results]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rcnn", default="build/cpu/bin/rcnn")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--tiny-steps", type=int, default=150)
    p.add_argument("--fruit-steps", type=int, default=40)
    p.add_argument("--fruit", default="../shared/data/fruit/VOCdevkit/VOC2007")
    p.add_argument("--out", default="bench/results_scaling.json")
    args = p.parse_args()
    if shutil.which("mpirun") is None:
        sys.exit("scaling: mpirun is not installed (scripts/deps.sh installs openmpi-bin)")

    work = tempfile.mkdtemp(prefix="rcnn_scaling_data_")
    shapes = os.path.join(work, "shapes")
    subprocess.run([args.rcnn, "data", "shapes", "--out", shapes, "--images", "200"], check=True, capture_output=True)
    models = [("shapes_tiny (TinyNet, 256 px)", "configs/shapes_tiny.yaml", shapes, args.tiny_steps)]
    if os.path.isdir(args.fruit) and os.path.exists("../shared/weights/mobilenet_v2_imagenet.safetensors"):
        models.append(("fruit_mobilenet_v2 (320 x 512)", "configs/fruit_mobilenet_v2.yaml", args.fruit, args.fruit_steps))
    else:
        print(f"scaling: {args.fruit} or the MobileNetV2 weights are absent (../shared/README.md): TinyNet only")

    rows = []
    for name, config, data, steps in models:
        # The same number of images in every run: half the steps where a step has twice the images.
        shapes = [(b, ranks, threads) for b in (1, 2) for ranks, threads in ((1, 2), (2, 1), (1, 1))]
        runs = [dict(rcnn=args.rcnn, config=config, data=data, ranks=ranks, threads=threads, images_per_step=b,
                     steps=steps // (ranks * b), extra=[]) for b, ranks, threads in shapes]
        base = None
        for (b, ranks, threads), kw, (rate, share, waiting) in zip(shapes, runs, interleaved(args.reps, runs)):
            base = base or rate
            rows.append({"model": name, "processes": ranks, "threads": threads, "images_per_step": b,
                         "images_a_step": ranks * b, "steps": kw["steps"], "images_per_second": round(rate, 2),
                         "vs_1_process_2_threads_b1": round(rate / base, 3), "allreduce_share": round(share, 4),
                         "waiting_share": round(waiting, 4)})
            print(f"{name:32s} N={ranks} x {threads} thread(s), B={b}: {rate:6.2f} img/s ({rate / base:.2f}x), "
                  f"all-reduce {100 * share:.1f}% of the run, waiting for the slowest {100 * waiting:.1f}%", flush=True)

    buckets = []
    name, config, data, steps = models[-1]
    sizes = (1, 4, 16, 64)
    runs = [dict(rcnn=args.rcnn, config=config, data=data, ranks=2, threads=1, images_per_step=1, steps=steps // 2,
                 extra=[], bucket_mb=mb) for mb in sizes]
    for mb, (rate, share, waiting) in zip(sizes, interleaved(args.reps, runs)):
        buckets.append({"model": name, "bucket_mb": mb, "images_per_second": round(rate, 2),
                        "allreduce_share": round(share, 4), "waiting_share": round(waiting, 4)})
        print(f"{name:32s} N=2, bucket {mb:5.2f} MiB: {rate:6.2f} img/s, all-reduce {100 * share:.1f}%, "
              f"waiting {100 * waiting:.1f}%", flush=True)
    shutil.rmtree(work, ignore_errors=True)

    result = {"cpu": cpu_name(), "cores": os.cpu_count(), "reps": args.reps, "scaling": rows, "buckets": buckets}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
