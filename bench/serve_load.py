#!/usr/bin/env python3
"""make bench: `rcnn serve` under load. 8 concurrent clients send 500 POST /api/detect requests of
generated images of mixed sizes (128 to 640 pixels) to a server of the demo's detector
(runs/shapes_tiny, else a detector trained here for a few steps); then 2 000 mutated uploads
(truncated, bit-flipped, sent with a wrong content type). Reports failed requests, median and p99
latency, requests per second, the server's resident memory after the first 50 requests and at the end,
and how many mutated uploads got a result or a JSON error (every one must), that the server never died.
Then the attacks that once worked, all at once for 20 s: chunked uploads of 64 MiB each (over the 20
MiB limit), PNGs with Apple's CgBI chunk declaring 12 000 x 12 000 pixels, header floods, and 64
connections dripping a byte a second; the server's peak resident memory meanwhile must stay under
workers x (3 x upload limit + 3 x max pixels) + its memory when ready, and /healthz must answer.

  /usr/bin/python3 bench/serve_load.py --rcnn build/cpu/bin/rcnn [--out bench/results_serve.json]
"""
import argparse
import concurrent.futures
import json
import os
import random
import socket
import statistics
import threading
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from scaling import cpu_name  # bench/scaling.py, beside this file


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


def post(port, body, content_type, path="/api/detect"):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body, method="POST",
                                 headers={"Content-Type": content_type})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    return status, json.loads(text), time.perf_counter() - start


def raw(port, data, chunks=(), seconds=10.0):
    """Sends bytes (then chunks) on a socket of its own; returns the status line's code, or 0."""
    s = socket.create_connection(("127.0.0.1", port), timeout=seconds)
    try:
        s.sendall(data)
        for c in chunks:
            s.sendall(c)
    except OSError:
        pass
    try:
        answer = s.recv(4096)
        return int(answer.split(b" ")[1]) if answer.startswith(b"HTTP/") else 0
    except (OSError, ValueError, IndexError):
        return 0
    finally:
        s.close()


def attack(port, pid, seconds=20.0):
    """The attacks of issue 29 at once; returns the peak RSS seen (MiB), the answers by kind, /healthz's."""
    peak, done, answers = [rss_mib(pid)], threading.Event(), {}
    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mib(pid))
            time.sleep(0.02)
    def count(kind, status):
        answers.setdefault(kind, {}).setdefault(str(status), 0)
        answers[kind][str(status)] += 1
    chunk = b"100000\r\n" + b"x" * (1 << 20) + b"\r\n"
    head = b"POST /api/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
    cgbi = (b"\x89PNG\r\n\x1a\n" + b"\0\0\0\x04CgBI\x50\x00\x20\x06\0\0\0\0" +
            b"\0\0\0\x0dIHDR\0\0\x2e\xe0\0\0\x2e\xe0\x08\x02\0\0\0\0\0\0\0" + b"\0" * 400000)
    flood = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: value\r\n" % i for i in range(100000)) + b"\r\n"
    end = time.time() + seconds
    def chunked():
        while time.time() < end:
            count("chunked 64 MiB", raw(port, head + b"Transfer-Encoding: chunked\r\n\r\n", [chunk] * 64))
    def bombs():
        while time.time() < end:
            count("CgBI bomb", raw(port, head + b"Content-Length: %d\r\n\r\n" % len(cgbi) + cgbi))
    def floods():
        while time.time() < end:
            count("header flood", raw(port, flood))
    def drip():
        s = socket.create_connection(("127.0.0.1", port))
        for b in b"GET /healthz HTTP/1.1\r\n":
            if time.time() > end:
                break
            try:
                s.send(bytes([b]))
            except OSError:
                break
            time.sleep(1)
        s.close()
    sampler = threading.Thread(target=sample)
    sampler.start()
    workers = [threading.Thread(target=f) for f in [chunked] * 8 + [bombs] * 4 + [floods] * 2 + [drip] * 64]
    for w in workers:
        w.start()
    health = []
    while time.time() < end:
        start = time.perf_counter()
        try:
            health.append((urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=10).status,
                           time.perf_counter() - start))
        except (urllib.error.URLError, OSError):
            health.append((0, time.perf_counter() - start))
        time.sleep(0.5)
    for w in workers:
        w.join()
    done.set()
    sampler.join()
    return peak[0], answers, health


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rcnn", default="build/cpu/bin/rcnn")
    p.add_argument("--checkpoint", default="runs/shapes_tiny")
    p.add_argument("--requests", type=int, default=500)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--mutated", type=int, default=2000)
    p.add_argument("--out", default="bench/results_serve.json")
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="rcnn_serve_bench_") as tmp:
        images = []
        for size in (128, 256, 384, 512, 640):
            subprocess.run([a.rcnn, "data", "shapes", "--out", os.path.join(tmp, "s%d" % size), "--images", "10", "--size",
                            str(size), "--seed", str(size)], check=True, capture_output=True)
            folder = os.path.join(tmp, "s%d" % size, "JPEGImages")
            images += [open(os.path.join(folder, f), "rb").read() for f in sorted(os.listdir(folder))]
        checkpoint = a.checkpoint
        if not os.path.exists(os.path.join(checkpoint, "checkpoint.safetensors")):
            print("serve_load: %s has no checkpoint (make demo trains it): training a small one" % checkpoint)
            checkpoint = os.path.join(tmp, "run")
            subprocess.run([a.rcnn, "train", "--config", "configs/shapes_tiny.yaml", "--data", os.path.join(tmp, "s256"), "--out",
                            checkpoint, "--set", "train.iterations=20"], check=True, capture_output=True)
        server = subprocess.Popen([a.rcnn, "serve", "--checkpoint", checkpoint, "--port", "0", "--workers", str(a.clients)],
                                  stdout=subprocess.PIPE, text=True)
        try:
            port = int(server.stdout.readline().split("http://127.0.0.1:")[1].split("/")[0])
            for _ in range(600):
                try:
                    if urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=5).status == 200:
                        break
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.1)
            rss_start = rss_mib(server.pid)
            rng = random.Random(0)
            order = [images[rng.randrange(len(images))] for _ in range(a.requests)]
            latencies, failed, rss_50 = [], 0, None
            start = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(a.clients) as pool:
                for i, (status, body, seconds) in enumerate(pool.map(lambda b: post(port, b, "image/jpeg"), order)):
                    latencies.append(seconds)
                    failed += status != 200 or "objects" not in body
                    if i == 49:
                        rss_50 = rss_mib(server.pid)
            wall = time.perf_counter() - start
            rss_end = rss_mib(server.pid)
            answered = {"result": 0, "error": 0, "other": 0}
            for i in range(a.mutated):
                b = bytearray(order[i % len(order)])
                if rng.random() < 0.5:
                    b = b[:rng.randrange(1, len(b))]
                for _ in range(rng.randrange(0, 8)):
                    b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
                status, body, _ = post(port, bytes(b), rng.choice(["image/jpeg", "text/plain", "application/octet-stream"]))
                answered["result" if status == 200 and "objects" in body else "error" if "error" in body else "other"] += 1
            alive = server.poll() is None and urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port).status == 200
            peak, attacks, health = attack(port, server.pid)
            alive = alive and server.poll() is None
        finally:
            server.terminate()
            server.wait(timeout=30)
    latencies.sort()
    row = {"checkpoint": a.checkpoint if checkpoint == a.checkpoint else "a 20-step detector (no demo run)",
           "requests": a.requests, "clients": a.clients, "failed": failed,
           "median_ms": round(1000 * statistics.median(latencies), 1),
           "p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 1),
           "requests_per_second": round(a.requests / wall, 2), "rss_mib_ready": round(rss_start, 1),
           "rss_mib_after_50": round(rss_50, 1), "rss_mib_after_all": round(rss_end, 1),
           "rss_growth_after_50": round(rss_end / rss_50 - 1, 4), "mutated_uploads": a.mutated, "mutated_answers": answered,
           "server_alive": alive}
    bound = rss_start + a.clients * (3 * 20 + 3 * 40e6 / (1 << 20))  # workers x (3 x limit + 3 x max pixels) + ready
    row.update({"attack_peak_rss_mib": round(peak, 1), "attack_rss_bound_mib": round(bound, 1), "attack_answers": attacks,
                "attack_healthz_ok": sum(s == 200 for s, _ in health), "attack_healthz_asked": len(health),
                "attack_healthz_max_s": round(max(t for _, t in health), 3)})
    row["cpu"] = cpu_name()
    print("rcnn serve: %d requests from %d clients: %d failed, median %.1f ms, p99 %.1f ms, %.2f requests/s; RSS %.0f MiB "
          "ready, %.0f after 50, %.0f after %d (%+.1f %%); %d mutated uploads: %d results, %d JSON errors, %d other; "
          "server alive: %s" % (a.requests, a.clients, failed, row["median_ms"], row["p99_ms"], row["requests_per_second"],
                                rss_start, rss_50, rss_end, a.requests, 100 * row["rss_growth_after_50"], a.mutated,
                                answered["result"], answered["error"], answered["other"], alive))
    print("under attack (20 s: chunked 64 MiB uploads, CgBI bombs, header floods, 64 dripping clients): peak RSS %.0f MiB "
          "(bound %.0f), answers %s, /healthz %d of %d answered 200, slowest %.2f s" %
          (peak, bound, json.dumps(attacks), row["attack_healthz_ok"], len(health), row["attack_healthz_max_s"]))
    with open(a.out, "w") as f:
        json.dump(row, f, indent=1)
    if failed or answered["other"] or not alive or peak > bound or row["attack_healthz_ok"] < len(health):
        sys.exit("serve_load: failures")


if __name__ == "__main__":
    main()
