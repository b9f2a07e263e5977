#!/usr/bin/python3
"""tests/reference/fpn.safetensors: torchvision 0.14's fasterrcnn_resnet50_fpn, stage by stage, for
tests/test_fpn.cpp. The weights come from a formula of each parameter's name and element index (a hash,
so they look random; written again by the C++ test's hashed_fill), loaded into both by name; 3 object
classes. Inputs from the formula too: 320 x 320 ("a"), 256 x 384 ("b"), and "a" in float64 ("a64": model
and input converted). Per input: the pyramid's maps (sums and a sample), the anchors (checksums), the RPN
head's outputs (a sample); for "a" and "a64" also the proposals, each one's level, the pooled features (a
sum per RoI and a sample), the box head's outputs (a sample) and the detections. For "a64", with three
ground-truth boxes: the proposals at training settings, the RPN's matches, its sampled anchors and losses,
the R-CNN's sampled RoIs with their labels and regression targets and its losses (the random samples
recorded as torchvision drew them). Large tensors are kept as samples of ~1 000 values, so the file stays
under 400 kB. Run by `make reference`."""
import copy
import json
import os
import sys
import zlib

import torch
import torchvision
from torchvision.models.detection.image_list import ImageList

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../scripts"))
import safetensors_io  # noqa: E402


def hashed(n, key):
    """n numbers in [-1, 1) that look random: the fraction of sin(i 12.9898 + key 78.233) 43758.5453."""
    i = torch.arange(n, dtype=torch.float64)
    v = torch.sin(i * 12.9898 + key * 78.233) * 43758.5453
    return 2 * (v - torch.floor(v)) - 1


def hashed_fill(model):
    for name, t in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        n, u = t.numel(), hashed(t.numel(), zlib.crc32(name.encode()) % 1000)
        if name.endswith("running_var"):
            v = 1 + 0.25 * (1 + u)
        elif name.endswith("running_mean"):
            v = 0.05 * u
        elif t.dim() == 1 and name.endswith("weight"):
            v = 1 + 0.1 * u
        elif t.dim() == 1:
            v = 0.05 * u
        else:  # variance 1 / fan_in; box deltas 10 times smaller, so boxes stay near their anchors
            v = (3.0 / (n // t.shape[0])) ** 0.5 * u * (0.1 if "bbox_pred" in name else 1.0)
        t.copy_(v.to(torch.float32).reshape(t.shape))


def hashed_image(h, w):
    n = 3 * h * w
    return (torch.sin(0.01 * torch.arange(n, dtype=torch.float64)) + hashed(n, 7)).to(torch.float32).reshape(1, 3, h, w)


def sample(t):
    flat = t.flatten()
    return flat[:: max(1, flat.numel() // 997)]


def checksum(anchors):
    rows = torch.arange(1, anchors.shape[0] + 1, dtype=torch.float64)
    a = anchors.double()
    return torch.stack([a.sum(), (rows * (a[:, 0] + 2 * a[:, 1] + 3 * a[:, 2] + 4 * a[:, 3])).sum()])


def stages(model, x, out, tag, full):
    """What tests/test_fpn.cpp compares, a sample (~1 000 values) of every large tensor, so the fixture stays
    small; with full, the stages after the RPN too (proposals, levels, pooling, head, detections)."""
    h, w = x.shape[-2:]
    images = ImageList(x, [(h, w)])
    with torch.no_grad():
        maps = model.backbone(x)
        levels = list(maps.values())
        for i, m in enumerate(levels):
            out[f"{tag}.map{i}.stats"] = torch.stack([m.double().sum(), m.double().abs().sum()])
            out[f"{tag}.map{i}.sample"] = sample(m)
        anchors = model.rpn.anchor_generator(images, levels)[0]
        counts = [m.shape[-2] * m.shape[-1] * 3 for m in levels]
        for i, a in enumerate(anchors.split(counts)):
            out[f"{tag}.anchors{i}"] = checksum(a)
        from torchvision.models.detection.rpn import concat_box_prediction_layers
        objectness, deltas = concat_box_prediction_layers(*model.rpn.head(levels))
        out[f"{tag}.objectness_sample"], out[f"{tag}.deltas_sample"] = sample(objectness), sample(deltas)
        if not full:
            return maps, images
        proposals = model.rpn.box_coder.decode(deltas, [anchors]).view(1, -1, 4)
        boxes, scores = model.rpn.filter_proposals(proposals, objectness.view(1, -1), images.image_sizes, counts)
        boxes, scores = boxes[0], scores[0]
        out[f"{tag}.proposals"], out[f"{tag}.proposal_scores"] = boxes, scores
        pooler = model.roi_heads.box_roi_pool
        pooled = pooler(maps, [boxes], images.image_sizes)
        out[f"{tag}.levels"] = pooler.map_levels([boxes]).to(torch.int64)
        out[f"{tag}.pooled_sums"] = pooled.double().sum((1, 2, 3))
        out[f"{tag}.pooled_sample"] = sample(pooled)
        # Boxes of chosen sizes: every level and the level formula's edges (sqrt(area) 112, 224, 448).
        sides = [(20, 20), (111.9, 112), (112, 112), (150, 200), (224, 224), (200, 300), (448, 448), (600, 500)]
        fixed = torch.tensor([[5.0, 7.0, 5.0 + bw, 7.0 + bh] for bw, bh in sides], dtype=x.dtype)
        out[f"{tag}.fixed_boxes"] = fixed
        out[f"{tag}.fixed_levels"] = pooler.map_levels([fixed]).to(torch.int64)
        out[f"{tag}.fixed_pooled_sample"] = sample(pooler(maps, [fixed], images.image_sizes))
        class_logits, box_regression = model.roi_heads.box_predictor(model.roi_heads.box_head(pooled))
        out[f"{tag}.class_logits_sample"] = sample(class_logits)
        out[f"{tag}.box_regression_sample"] = sample(box_regression[:, 4:].contiguous())  # the object classes'
        det_boxes, det_scores, det_labels = model.roi_heads.postprocess_detections(
            class_logits, box_regression, [boxes], images.image_sizes)
        out[f"{tag}.det_boxes"], out[f"{tag}.det_scores"], out[f"{tag}.det_labels"] = det_boxes[0], det_scores[0], det_labels[0]
    return maps, images


def training(model, maps, images, out):
    """The losses of image "a" (in float64), with its samples recorded as torchvision's samplers draw them."""
    truth = torch.tensor([[40.0, 50.0, 120.0, 140.0], [150.0, 20.0, 310.0, 100.0], [10.0, 200.0, 60.0, 236.0]],
                         dtype=torch.float64)
    labels = torch.tensor([1, 3, 2])
    out["train.truth"], out["train.truth_labels"] = truth, labels
    drawn = {}

    def recording(sampler, key):
        def draw(matched):
            pos, neg = sampler(matched)
            drawn[key] = (matched[0], pos[0], neg[0])
            return pos, neg
        return draw

    torch.manual_seed(0)
    model.rpn.fg_bg_sampler = recording(model.rpn.fg_bg_sampler, "rpn")
    model.roi_heads.fg_bg_sampler = recording(model.roi_heads.fg_bg_sampler, "rcnn")
    model.rpn.train()
    model.roi_heads.train()
    targets = [{"boxes": truth, "labels": labels}]
    with torch.no_grad():
        proposals, rpn_losses = model.rpn(images, maps, targets)
        out["train.proposals"] = proposals[0]
        select = model.roi_heads.select_training_samples
        chosen = {}

        def selecting(props, tgts):
            rois, matched_idxs, roi_labels, regression = select(props, tgts)
            chosen.update(rois=rois[0], labels=roi_labels[0], regression=regression[0])
            return rois, matched_idxs, roi_labels, regression
        model.roi_heads.select_training_samples = selecting
        _, rcnn_losses = model.roi_heads(maps, proposals, images.image_sizes, targets)
    matched, pos, neg = drawn["rpn"]  # matched: 1 object, 0 background, -1 between the thresholds
    out["train.rpn_objects"], out["train.rpn_between"] = (matched == 1).nonzero()[:, 0], (matched == -1).nonzero()[:, 0]
    out["train.rpn_positive"], out["train.rpn_negative"] = pos.nonzero()[:, 0], neg.nonzero()[:, 0]
    out["train.loss_objectness"] = rpn_losses["loss_objectness"].double().reshape(1)
    out["train.loss_rpn_box_reg"] = rpn_losses["loss_rpn_box_reg"].double().reshape(1)
    out["train.rois"], out["train.roi_labels"] = chosen["rois"], chosen["labels"].to(torch.int64)
    out["train.roi_regression"] = chosen["regression"]
    out["train.loss_classifier"] = rcnn_losses["loss_classifier"].double().reshape(1)
    out["train.loss_box_reg"] = rcnn_losses["loss_box_reg"].double().reshape(1)


def main():
    model = torchvision.models.detection.fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=4)
    hashed_fill(model)
    model.eval()  # batch norm with its running statistics (frozen, as ours)
    out = {}
    stages(model, hashed_image(320, 320), out, "a", full=True)
    stages(model, hashed_image(256, 384), out, "b", full=False)
    # The same weights and input in float64 ("a64"): torchvision's float64 answers, to 1e-6; the losses too.
    model64 = copy.deepcopy(model).double()
    maps, images = stages(model64, hashed_image(320, 320).double(), out, "a64", full=True)
    training(model64, maps, images, out)
    names = [k for k in model.state_dict() if not k.endswith("num_batches_tracked")]
    meta = {"generator": "tests/reference/make_fpn_reference.py", "oracle": f"torchvision {torchvision.__version__}",
            "names": json.dumps(names)}
    path = os.path.join(HERE, "fpn.safetensors")
    safetensors_io.save({k: v.contiguous() for k, v in out.items()}, path, meta)
    print(f"wrote {path}: {os.path.getsize(path) / 1e3:.0f} kB; detections a {out['a.det_boxes'].shape[0]}, "
          f"a64 {out['a64.det_boxes'].shape[0]}; levels a {out['a.levels'].bincount().tolist()}; "
          f"losses {[round(float(out['train.' + k]), 4) for k in ('loss_objectness', 'loss_rpn_box_reg', 'loss_classifier', 'loss_box_reg')]}")


if __name__ == "__main__":
    main()
