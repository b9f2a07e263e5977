#!/usr/bin/python3
"""Exports torchvision's ImageNet weights to safetensors for rcnn.cpp (needs internet once: torchvision
downloads them). Names stay torchvision's, so the backbones load them by name:
  /usr/bin/python3 scripts/export_weights.py vgg16 data/vgg16_features.safetensors        # features.N.*
  /usr/bin/python3 scripts/export_weights.py mobilenet_v2 data/mobilenet_v2_imagenet.safetensors
  /usr/bin/python3 scripts/export_weights.py resnet50 data/resnet50_imagenet.safetensors
The weights expect RGB in [0, 1] normalised by mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225)."""
import os
import sys

import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

MODELS = {
    # VGG16: only the convolutional part, the detector's backbone.
    "vgg16": lambda: {k: v for k, v in torchvision.models.vgg16(weights="IMAGENET1K_V1").state_dict().items()
                      if k.startswith("features.")},
    "mobilenet_v2": lambda: torchvision.models.mobilenet_v2(weights="IMAGENET1K_V1").state_dict(),
    "resnet50": lambda: torchvision.models.resnet50(weights="IMAGENET1K_V1").state_dict(),
}

if len(sys.argv) != 3 or sys.argv[1] not in MODELS:
    sys.exit(f"usage: export_weights.py {{{'|'.join(MODELS)}}} OUT.safetensors")
name, out = sys.argv[1], sys.argv[2]
tensors = MODELS[name]()
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
safetensors_io.save(tensors, out, {"source": f"torchvision {name} IMAGENET1K_V1"})
print(f"wrote {len(tensors)} tensors to {out}")
