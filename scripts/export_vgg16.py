#!/usr/bin/python3
"""Exports torchvision's VGG16 ImageNet weights (the convolutional part, `features.N.weight/bias`)
to safetensors for rcnn.cpp:  /usr/bin/python3 scripts/export_vgg16.py data/vgg16_features.safetensors
Needs internet once (torchvision downloads the weights). The weights expect RGB in [0, 1]
normalised by mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225)."""
import os
import sys

import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else "data/vgg16_features.safetensors"
model = torchvision.models.vgg16(weights=torchvision.models.VGG16_Weights.IMAGENET1K_V1)
features = {k: v for k, v in model.state_dict().items() if k.startswith("features.")}
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
safetensors_io.save(features, out, {"source": "torchvision vgg16 IMAGENET1K_V1"})
print(f"wrote {len(features)} tensors to {out}")
