#!/usr/bin/python3
"""Exports torchvision's pretrained weights to safetensors for rcnn.cpp (needs internet once: torchvision
downloads them). Names stay torchvision's, so the backbones load them by name:
  /usr/bin/python3 scripts/export_weights.py vgg16 data/vgg16_features.safetensors        # features.N.*
  /usr/bin/python3 scripts/export_weights.py mobilenet_v2 data/mobilenet_v2_imagenet.safetensors
  /usr/bin/python3 scripts/export_weights.py resnet50 data/resnet50_imagenet.safetensors
The weights expect RGB in [0, 1] normalised by mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225).

A whole detector, torchvision's COCO-trained fasterrcnn_resnet50_fpn (box AP 37.0), becomes an rcnn.cpp
checkpoint that `rcnn predict`, `rcnn eval` and `rcnn serve` take as they are, and `rcnn train --resume`
fine-tunes: its parameters under their own names (our pyramid detector has torchvision's layout), the
settings of configs/voc07_resnet50_fpn.yaml and COCO's 90 category names (torchvision's "N/A" gaps kept,
so label l is torchvision's l):
  /usr/bin/python3 scripts/export_weights.py fasterrcnn_resnet50_fpn runs/coco_r50_fpn/checkpoint.safetensors
(--untrained: the same file from torchvision's random initialisation, to check the path without internet.)"""
import os
import sys

import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import safetensors_io  # noqa: E402


def detector(untrained):
    from torchvision.models.detection import FasterRCNN_ResNet50_FPN_Weights, fasterrcnn_resnet50_fpn
    weights = FasterRCNN_ResNet50_FPN_Weights.COCO_V1
    model = fasterrcnn_resnet50_fpn(weights=None if untrained else weights, weights_backbone=None,
                                    num_classes=len(weights.meta["categories"]))
    tensors = {"model." + k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    with open(os.path.join(HERE, "../configs/voc07_resnet50_fpn.yaml")) as f:
        config = f.read().replace("  weights: data/resnet50_imagenet.safetensors", '  weights: ""')
    import json
    meta = {"format": "rcnn.cpp checkpoint v1", "step": "0", "position": "0", "config": config,
            "classes": json.dumps(weights.meta["categories"][1:]),
            "source": "torchvision fasterrcnn_resnet50_fpn " + ("untrained" if untrained else "COCO_V1")}
    return tensors, meta


MODELS = {
    # VGG16: only the convolutional part, the detector's backbone.
    "vgg16": lambda: {k: v for k, v in torchvision.models.vgg16(weights="IMAGENET1K_V1").state_dict().items()
                      if k.startswith("features.")},
    "mobilenet_v2": lambda: torchvision.models.mobilenet_v2(weights="IMAGENET1K_V1").state_dict(),
    "resnet50": lambda: torchvision.models.resnet50(weights="IMAGENET1K_V1").state_dict(),
}

args = [a for a in sys.argv[1:] if a != "--untrained"]
if len(args) != 2 or args[0] not in list(MODELS) + ["fasterrcnn_resnet50_fpn"]:
    sys.exit(f"usage: export_weights.py {{{'|'.join(MODELS)}|fasterrcnn_resnet50_fpn [--untrained]}} OUT.safetensors")
name, out = args
if name == "fasterrcnn_resnet50_fpn":
    tensors, meta = detector("--untrained" in sys.argv)
else:
    tensors, meta = MODELS[name](), {"source": f"torchvision {name} IMAGENET1K_V1"}
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
safetensors_io.save(tensors, out, meta)
print(f"wrote {len(tensors)} tensors to {out}")
