#!/usr/bin/python3
"""make bench: torchvision's Faster R-CNN beside bench_detector, with the settings of
configs/tv_tiny_peer.yaml (--backbone tiny: TinyNet, 256 x 256) or configs/tv_vgg16_peer.yaml
(--backbone vgg16: conv5_3, 600 x 1000): the median training step (forward with losses, backward, SGD)
and the median inference per image with its stages, each phase in a process of its own so that each
peak RSS is that phase's alone, as bench_detector measures ours. Data as bench_detector makes it:
uniform random images with 1-4 boxes whose sides are 1/16 to 1/2 of the image's height.

Needs Debian's python3-torch / python3-torchvision (scripts/deps.sh --reference); run with /usr/bin/python3:
  bench/peer_detector.py [--backbone tiny|vgg16] [--threads 2] [--warmup 5] [--steps 30] [--json-out FILE]
"""
import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

SETTINGS = {  # the two configs/tv_*_peer.yaml, as torchvision spells them
    "tiny": dict(height=256, width=256, classes=3, anchors=(32, 64, 128), hidden=512),
    "vgg16": dict(height=600, width=1000, classes=20, anchors=(128, 256, 512), hidden=4096),
}


def build_model(backbone_name):
    import torch
    from torchvision.models import vgg16
    from torchvision.models.detection import FasterRCNN
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
    from torchvision.models.detection.transform import GeneralizedRCNNTransform
    from torchvision.ops import MultiScaleRoIAlign

    s = SETTINGS[backbone_name]
    if backbone_name == "tiny":  # models/tiny_net.h: 4 x [conv 3x3 + ReLU + max-pool 2], stride 16
        layers, channels = [], 3
        for out in (32, 64, 128, 256):
            layers += [torch.nn.Conv2d(channels, out, 3, padding=1), torch.nn.ReLU(inplace=True), torch.nn.MaxPool2d(2)]
            channels = out
        backbone = torch.nn.Sequential(*layers)
    else:  # VGG16 up to conv5_3 with its ReLU, without the fifth pooling (the paper's)
        backbone = vgg16(weights=None).features[:-1]
        channels = 512
    backbone.out_channels = channels
    model = FasterRCNN(
        backbone,
        rpn_anchor_generator=AnchorGenerator(sizes=(s["anchors"],), aspect_ratios=((0.5, 1.0, 2.0),)),
        box_roi_pool=MultiScaleRoIAlign(featmap_names=["0"], output_size=7, sampling_ratio=2),
        box_head=TwoMLPHead(channels * 7 * 7, s["hidden"]),
        box_predictor=FastRCNNPredictor(s["hidden"], s["classes"] + 1),
        min_size=s["height"], max_size=s["width"],
        rpn_pre_nms_top_n_train=2000, rpn_post_nms_top_n_train=2000,
        rpn_pre_nms_top_n_test=1000, rpn_post_nms_top_n_test=300,
        rpn_batch_size_per_image=256, rpn_positive_fraction=0.5,
        box_batch_size_per_image=64, box_positive_fraction=0.25,
        box_score_thresh=0.05, box_nms_thresh=0.5, box_detections_per_img=100)
    # No padding to a multiple of 32: our images keep their size (600 x 1000 would become 608 x 1024).
    model.transform = GeneralizedRCNNTransform(s["height"], s["width"], [0.0] * 3, [1.0] * 3, size_divisible=1)
    return model


def make_data(backbone_name, n, seed):
    import torch
    s = SETTINGS[backbone_name]
    gen = torch.Generator().manual_seed(seed)
    height, width = s["height"], s["width"]
    lo, span = height // 16, height // 2 - height // 16 + 1
    data = []
    for _ in range(n):
        k = 1 + int(torch.randint(4, (1,), generator=gen))
        sides = lo + torch.randint(span, (k, 2), generator=gen).float()
        corner = torch.rand(k, 2, generator=gen) * (torch.tensor([width, height]) - sides)
        boxes = torch.cat([corner, corner + sides], dim=1)
        labels = 1 + torch.randint(s["classes"], (k,), generator=gen)
        data.append((torch.rand(3, height, width, generator=gen), {"boxes": boxes, "labels": labels}))
    return data


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def summary(times):
    return {"median": statistics.median(times), "mean": statistics.mean(times), "max": max(times)}


def phase_train(backbone_name, warmup, steps):
    import torch
    model = build_model(backbone_name)
    model.train()
    data = make_data(backbone_name, warmup + steps, seed=1)
    sgd = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=5e-4)
    times = {"step_s": [], "forward_s": [], "backward_s": [], "opt_step_s": []}
    for i, (image, target) in enumerate(data):
        t0 = time.perf_counter()
        loss = sum(model([image], [target]).values())
        t1 = time.perf_counter()
        sgd.zero_grad()
        loss.backward()
        t2 = time.perf_counter()
        sgd.step()
        t3 = time.perf_counter()
        if i >= warmup:
            for key, seconds in zip(times, (t3 - t0, t1 - t0, t2 - t1, t3 - t2)):
                times[key].append(seconds)
    result = {key: summary(values) for key, values in times.items()}
    result["peak_rss_mib"] = peak_rss_mib()
    return result


def staged_detect(model, image, stages):
    """model([image]) in eval mode, stage by stage (torchvision's RPN and RoI heads, in their own order)."""
    from torchvision.models.detection.rpn import concat_box_prediction_layers
    clock = [time.perf_counter()]

    def mark(name):
        now = time.perf_counter()
        stages.setdefault(name, []).append(now - clock[0])
        clock[0] = now

    images, _ = model.transform([image])
    features = {"0": model.backbone(images.tensors)}
    mark("backbone")
    rpn = model.rpn
    objectness, deltas = rpn.head(list(features.values()))
    mark("rpn_head")
    anchors = rpn.anchor_generator(images, list(features.values()))
    counts = [o[0].numel() for o in objectness]
    objectness, deltas = concat_box_prediction_layers(objectness, deltas)
    proposals = rpn.box_coder.decode(deltas.detach(), anchors).view(len(anchors), -1, 4)
    boxes, _ = rpn.filter_proposals(proposals, objectness, images.image_sizes, counts)
    mark("proposals")
    heads = model.roi_heads
    pooled = heads.box_roi_pool(features, boxes, images.image_sizes)
    mark("roi_pool")
    scores, regression = heads.box_predictor(heads.box_head(pooled))
    mark("rcnn_head")
    found = heads.postprocess_detections(scores, regression, boxes, images.image_sizes)
    mark("postprocess")
    return found


def phase_infer(backbone_name, warmup, steps):
    import torch
    model = build_model(backbone_name)
    model.eval()
    data = make_data(backbone_name, warmup + steps, seed=2)
    totals, stages = [], {}
    with torch.no_grad():
        for i, (image, _) in enumerate(data):
            t0 = time.perf_counter()
            model([image])
            if i >= warmup:
                totals.append(time.perf_counter() - t0)
        for i, (image, _) in enumerate(data):
            staged_detect(model, image, stages if i >= warmup else {})
    return {"infer_s": summary(totals), "stage_s": {k: summary(v) for k, v in stages.items()},
            "peak_rss_mib": peak_rss_mib()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backbone", choices=sorted(SETTINGS), default="tiny")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (bench_detector must use the same)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--phase", choices=["train", "infer"], help="run one phase, print its JSON (the parent's call)")
    parser.add_argument("--json-out", help="write both phases' results here")
    args = parser.parse_args()
    if args.phase:
        import torch
        torch.set_num_threads(args.threads)
        torch.manual_seed(0)
        run = phase_train if args.phase == "train" else phase_infer
        print("JSON:" + json.dumps(run(args.backbone, args.warmup, args.steps)))
        return
    result = {"backbone": args.backbone, "threads": args.threads}
    for phase in ("train", "infer"):
        out = subprocess.run([sys.executable, __file__, "--phase", phase, "--backbone", args.backbone,
                              "--threads", str(args.threads), "--warmup", str(args.warmup), "--steps", str(args.steps)],
                             check=True, capture_output=True, text=True).stdout
        result[phase] = json.loads(out[out.rindex("JSON:") + 5:])
        print(f"torchvision {args.backbone} {phase}: median "
              f"{result[phase]['step_s' if phase == 'train' else 'infer_s']['median'] * 1e3:.1f} ms, "
              f"peak RSS {result[phase]['peak_rss_mib']:.0f} MiB")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
