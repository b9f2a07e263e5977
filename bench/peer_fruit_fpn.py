#!/usr/bin/python3
"""The side-by-side peer of configs/fruit_mobilenet_v2_fpn.yaml: ../shared/peers/tv_mobilenet_voc.py
(its data, schedule, timing and evaluation, unchanged) with torchvision's feature pyramid on the same
MobileNetV2 taps: BackboneWithFPN over features 13 and 18 (strides 16, 32) into 128 channels plus its
pool level, one anchor size per level (128-512, 3 ratios), RoIs pooled by MultiScaleRoIAlign from the
two maps, TwoMLPHead(128 * 7 * 7, 1024). Everything else is the peer's (frozen batch norm,
features[0:4] frozen, 2000 -> 1000 proposals in training, 1000 -> 300 at test, 128 RoIs).
  /usr/bin/python3 bench/peer_fruit_fpn.py --out runs/peer_fruit_fpn [the peer's options]"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../shared/peers"))
import tv_mobilenet_voc as peer  # noqa: E402

import torchvision  # noqa: E402
from torchvision.models.detection import FasterRCNN  # noqa: E402
from torchvision.models.detection.anchor_utils import AnchorGenerator  # noqa: E402
from torchvision.models.detection.backbone_utils import BackboneWithFPN  # noqa: E402
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead  # noqa: E402
from torchvision.ops import FrozenBatchNorm2d, MultiScaleRoIAlign  # noqa: E402

TAPS = {"13": "0", "18": "1"}  # features[i] -> level: strides 16, 32
CHANNELS = 128


def build_model(args, num_classes, weights_path=None):
    mbv2 = torchvision.models.mobilenet_v2(weights=None, norm_layer=FrozenBatchNorm2d)
    if weights_path is not None:
        mbv2.load_state_dict(peer.read_safetensors(weights_path), strict=True)
    features = mbv2.features
    for block in features[0:4]:
        for p in block.parameters():
            p.requires_grad_(False)
    backbone = BackboneWithFPN(features, TAPS, [96, 1280], CHANNELS)
    return FasterRCNN(
        backbone, num_classes=None, min_size=args.min_size, max_size=args.max_size,
        image_mean=peer.IMAGENET_MEAN, image_std=peer.IMAGENET_STD,
        rpn_anchor_generator=AnchorGenerator(sizes=((128,), (256,), (512,)), aspect_ratios=((0.5, 1.0, 2.0),) * 3),
        rpn_pre_nms_top_n_train=2000, rpn_post_nms_top_n_train=1000,
        rpn_pre_nms_top_n_test=1000, rpn_post_nms_top_n_test=300,
        rpn_nms_thresh=0.7, rpn_fg_iou_thresh=0.7, rpn_bg_iou_thresh=0.3,
        rpn_batch_size_per_image=256, rpn_positive_fraction=0.5,
        box_roi_pool=MultiScaleRoIAlign(featmap_names=["0", "1"], output_size=7, sampling_ratio=2),
        box_head=TwoMLPHead(CHANNELS * 7 * 7, 1024), box_predictor=FastRCNNPredictor(1024, num_classes + 1),
        box_score_thresh=0.05, box_nms_thresh=0.5, box_detections_per_img=100,
        box_fg_iou_thresh=0.5, box_bg_iou_thresh=0.5, box_batch_size_per_image=128, box_positive_fraction=0.25)


def run_child(phase, log_path):
    """The peer's, re-running this script (so the children build the pyramid too)."""
    cmd = [sys.executable, os.path.abspath(__file__)] + sys.argv[1:] + ["--phase", phase]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            sys.stdout.write(line)
            log.write(line)
        if proc.wait() != 0:
            sys.exit(f"{phase} phase failed; see {log_path}")


peer.build_model, peer.run_child = build_model, run_child
if __name__ == "__main__":
    peer.main()
