#!/usr/bin/python3
"""torchvision 0.14's MobileNetV2 with the ImageNet weights of ../shared/weights, on the photographs that
tests/test_backbones.cpp preprocessed (tests/reference/mobilenet_inputs.safetensors, written by
`RCNN_WRITE_FIXTURES=1 run_tests -tc='MobileNetV2*'`): the logits and top-1 class of each, into
tests/reference/mobilenet_v2.json. Run by `make reference`."""
import json
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../scripts"))
import safetensors_io  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WEIGHTS = os.path.join(HERE, "../../../shared/weights/mobilenet_v2_imagenet.safetensors")
CLASSES = os.path.join(HERE, "../../../shared/weights/imagenet_classes.txt")

def main():
    inputs, meta = safetensors_io.load(os.path.join(HERE, "mobilenet_inputs.safetensors"))
    net = torchvision.models.mobilenet_v2()
    weights, _ = safetensors_io.load(WEIGHTS)
    net.load_state_dict(weights, strict=True)
    net.eval()
    with torch.no_grad():
        logits = net(inputs["images"])
    classes = open(CLASSES).read().splitlines()
    out = {"ids": json.loads(meta["ids"]), "logits": logits.tolist(),
           "top1": [classes[int(i)] for i in logits.argmax(1)]}
    with open(os.path.join(HERE, "mobilenet_v2.json"), "w") as f:
        json.dump(out, f)
    print("wrote mobilenet_v2.json:", list(zip(out["ids"], out["top1"])))


if __name__ == "__main__":
    main()
