#!/usr/bin/python3
"""make bench: torchvision's Faster R-CNN beside bench_detector, with the settings of
configs/tv_tiny_peer.yaml (--backbone tiny: TinyNet, 256 x 256), configs/tv_vgg16_peer.yaml
(--backbone vgg16: conv5_3, 600 x 1000) or configs/tv_mobilenet_peer.yaml (--backbone mobilenet_v2:
fruit_mobilenet_v2's detector, 320 x 512) or configs/voc07_resnet50_fpn.yaml (--backbone resnet50_fpn:
fasterrcnn_resnet50_fpn with frozen batch norm and 3 trainable stages, 800 x 800): the median training step of --batch images (forward with
losses, backward, SGD) and the median inference per image with its stages, each phase in a process of
its own so that each peak RSS is that phase's alone, as bench_detector measures ours. Data as
bench_detector makes it: uniform random images with 1-4 boxes whose sides are 1/16 to 1/2 of the
image's height.

On a GPU (--device cuda): FP32 with TF32 off (as our cuDNN and cuBLAS calls), the device synchronised
at the end of each timed step or image, the peak of torch.cuda.max_memory_allocated, and the host's
waits for the device per step (torch.cuda.set_sync_debug_mode's warnings, counted over extra steps
after the timed ones).

Needs PyTorch / torchvision (Debian's python3-torch, scripts/deps.sh --reference; on the GPU machine its
own); run with /usr/bin/python3:
  bench/peer_detector.py [--backbone tiny|vgg16|mobilenet_v2|resnet50_fpn] [--device cpu|cuda] [--batch 1]
                         [--phases train,infer] [--threads 2] [--warmup 5] [--steps 30] [--json-out FILE]
"""
import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

SETTINGS = {  # the configs/tv_*_peer.yaml, as torchvision spells them
    "tiny": dict(height=256, width=256, classes=3, anchors=(32, 64, 128), hidden=512,
                 rpn_train=(2000, 2000), rois=64),
    "vgg16": dict(height=600, width=1000, classes=20, anchors=(128, 256, 512), hidden=4096,
                  rpn_train=(2000, 2000), rois=64),
    "mobilenet_v2": dict(height=320, width=512, classes=3, anchors=(32, 64, 128, 256, 512), hidden=1024,
                         rpn_train=(2000, 1000), rois=128),
    "resnet50_fpn": dict(height=800, width=800, classes=20),
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
    if backbone_name == "resnet50_fpn":  # torchvision's own detector, its defaults (1000 proposals at test)
        from torchvision.models import resnet50
        from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
        from torchvision.ops import FrozenBatchNorm2d
        backbone = _resnet_fpn_extractor(resnet50(weights=None, norm_layer=FrozenBatchNorm2d), 3)
        model = FasterRCNN(backbone, num_classes=s["classes"] + 1, min_size=s["height"], max_size=s["width"])
        model.transform = GeneralizedRCNNTransform(s["height"], s["width"], [0.0] * 3, [1.0] * 3)  # pads to 32
        return model
    if backbone_name == "tiny":  # models/tiny_net.h: 4 x [conv 3x3 + ReLU + max-pool 2], stride 16
        layers, channels = [], 3
        for out in (32, 64, 128, 256):
            layers += [torch.nn.Conv2d(channels, out, 3, padding=1), torch.nn.ReLU(inplace=True), torch.nn.MaxPool2d(2)]
            channels = out
        backbone = torch.nn.Sequential(*layers)
    elif backbone_name == "vgg16":  # VGG16 up to conv5_3 with its ReLU, without the fifth pooling (the paper's)
        backbone = vgg16(weights=None).features[:-1]
        channels = 512
    else:  # models/mobilenet_v2.h: features, frozen batch norm, features[0:4] frozen (fruit_mobilenet_v2)
        from torchvision.models import mobilenet_v2
        from torchvision.ops import FrozenBatchNorm2d
        backbone = mobilenet_v2(weights=None, norm_layer=FrozenBatchNorm2d).features
        for parameter in backbone[:4].parameters():
            parameter.requires_grad_(False)
        channels = 1280
    backbone.out_channels = channels
    model = FasterRCNN(
        backbone,
        rpn_anchor_generator=AnchorGenerator(sizes=(s["anchors"],), aspect_ratios=((0.5, 1.0, 2.0),)),
        box_roi_pool=MultiScaleRoIAlign(featmap_names=["0"], output_size=7, sampling_ratio=2),
        box_head=TwoMLPHead(channels * 7 * 7, s["hidden"]),
        box_predictor=FastRCNNPredictor(s["hidden"], s["classes"] + 1),
        min_size=s["height"], max_size=s["width"],
        rpn_pre_nms_top_n_train=s["rpn_train"][0], rpn_post_nms_top_n_train=s["rpn_train"][1],
        rpn_pre_nms_top_n_test=1000, rpn_post_nms_top_n_test=300,
        rpn_batch_size_per_image=256, rpn_positive_fraction=0.5,
        box_batch_size_per_image=s["rois"], box_positive_fraction=0.25,
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


class Device:
    """Where the model runs: the clock waits for a GPU (synchronize) before it reads the time."""

    def __init__(self, name):
        import torch
        self.torch, self.name, self.gpu = torch, name, name == "cuda"
        if self.gpu:  # plain FP32, as rcnn.cpp's cuDNN and cuBLAS calls
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
            torch.backends.cudnn.benchmark = False

    def now(self):
        if self.gpu:
            self.torch.cuda.synchronize()
        return time.perf_counter()

    def reset_peak(self):
        if self.gpu:
            self.torch.cuda.reset_peak_memory_stats()

    def counts(self, run, times):
        """The peak of GPU memory so far, and how often `run` makes the host wait for the GPU (the
        median over `times` calls, each counted by the warnings of torch's sync debug mode)."""
        if not self.gpu:
            return {}
        import warnings
        waits = []
        for _ in range(times):
            self.torch.cuda.synchronize()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self.torch.cuda.set_sync_debug_mode("warn")
                run()
                self.torch.cuda.set_sync_debug_mode("default")
            waits.append(sum("synchroniz" in str(w.message) for w in caught))
        return {"peak_device_mib": self.torch.cuda.max_memory_allocated() / 2**20,
                "host_waits": statistics.median(waits)}


def to_device(data, device):
    return [(image.to(device), {k: v.to(device) for k, v in target.items()}) for image, target in data]


def phase_train(backbone_name, warmup, steps, batch, device):
    import torch
    model = build_model(backbone_name).to(device.name)
    model.train()
    data = to_device(make_data(backbone_name, (warmup + steps) * batch, seed=1), device.name)
    sgd = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1e-3, momentum=0.9, weight_decay=5e-4)
    times = {"step_s": [], "forward_s": [], "backward_s": [], "opt_step_s": []}

    def step(i, clock):
        images, targets = zip(*data[i * batch:(i + 1) * batch])
        t0 = clock()
        loss = sum(model(list(images), list(targets)).values())
        t1 = clock()
        sgd.zero_grad()
        loss.backward()
        t2 = clock()
        sgd.step()
        t3 = clock()
        return t0, t1, t2, t3

    for i in range(warmup + steps):
        if i == warmup:
            device.reset_peak()
        t0, t1, t2, t3 = step(i, device.now)
        if i >= warmup:
            for key, seconds in zip(times, (t3 - t0, t1 - t0, t2 - t1, t3 - t2)):
                times[key].append(seconds)
    result = {key: summary(values) for key, values in times.items()}
    result["batch"] = batch
    result["peak_rss_mib"] = peak_rss_mib()
    result.update(device.counts(lambda: step(warmup, time.perf_counter), min(steps, 5)))
    return result


def staged_detect(model, image, stages, read_clock):
    """model([image]) in eval mode, stage by stage (torchvision's RPN and RoI heads, in their own order)."""
    from torchvision.models.detection.rpn import concat_box_prediction_layers
    clock = [read_clock()]

    def mark(name):
        now = read_clock()
        stages.setdefault(name, []).append(now - clock[0])
        clock[0] = now

    images, _ = model.transform([image])
    features = model.backbone(images.tensors)
    features = features if isinstance(features, dict) else {"0": features}
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


def phase_infer(backbone_name, warmup, steps, device):
    import torch
    model = build_model(backbone_name).to(device.name)
    model.eval()
    data = to_device(make_data(backbone_name, warmup + steps, seed=2), device.name)
    totals, stages = [], {}
    with torch.no_grad():
        for i, (image, _) in enumerate(data):
            if i == warmup:
                device.reset_peak()
            t0 = device.now()
            model([image])
            t1 = device.now()
            if i >= warmup:
                totals.append(t1 - t0)
        counts = device.counts(lambda: model([data[0][0]]), min(steps, 5))
        for i, (image, _) in enumerate(data):
            staged_detect(model, image, stages if i >= warmup else {}, device.now)
    result = {"infer_s": summary(totals), "stage_s": {k: summary(v) for k, v in stages.items()},
              "peak_rss_mib": peak_rss_mib()}
    result.update(counts)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backbone", choices=sorted(SETTINGS), default="tiny")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--batch", type=int, default=1, help="images per training step")
    parser.add_argument("--phases", default="train,infer", help="which to time: train, infer or both")
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
        device = Device(args.device)
        if args.phase == "train":
            result = phase_train(args.backbone, args.warmup, args.steps, args.batch, device)
        else:
            result = phase_infer(args.backbone, args.warmup, args.steps, device)
        print("JSON:" + json.dumps(result))
        return
    import torch
    result = {"backbone": args.backbone, "threads": args.threads, "batch": args.batch, "device": args.device,
              "device_name": torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu",
              "torch": torch.__version__}
    for phase in args.phases.split(","):
        out = subprocess.run([sys.executable, __file__, "--phase", phase, "--backbone", args.backbone,
                              "--device", args.device, "--batch", str(args.batch), "--threads", str(args.threads),
                              "--warmup", str(args.warmup), "--steps", str(args.steps)],
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
