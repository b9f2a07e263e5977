#!/usr/bin/python3
"""tests/test_backbones.cpp's references from torchvision 0.14: ResNet-50 with weights from a formula
(resnet50.json), and MobileNetV2 with the ImageNet weights of ../shared/weights, on the photographs that
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

def formula_fill(model):
    """The weights tests/test_backbones.cpp computes: a formula of the name and the element index."""
    for name, t in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        i = torch.arange(t.numel(), dtype=torch.float64)
        if name.endswith("running_var"):
            v = 1 + 0.25 * (1 + torch.sin(0.37 * i))
        elif name.endswith("running_mean"):
            v = 0.05 * torch.sin(0.51 * i)
        elif t.dim() == 1 and name.endswith("weight"):
            v = 1 + 0.1 * torch.sin(0.29 * i)
        elif t.dim() == 1:
            v = 0.05 * torch.cos(0.43 * i)
        else:
            v = (2.0 / (t.numel() // t.shape[0])) ** 0.5 * torch.sin(0.7 * i + 0.3)
        t.copy_(v.to(torch.float32).reshape(t.shape))


def resnet50_reference():
    net = torchvision.models.resnet50()
    formula_fill(net)
    net.eval()
    n = 3 * 64 * 64
    x = torch.sin(0.01 * torch.arange(n, dtype=torch.float64)).to(torch.float32).reshape(1, 3, 64, 64)
    with torch.no_grad():
        c4 = net.layer3(net.layer2(net.layer1(net.maxpool(net.relu(net.bn1(net.conv1(x)))))))
        logits = net(x)
    out = {"logits": logits[0].tolist(), "c4_sum": float(c4.double().sum()),
           "names": [k for k in net.state_dict() if not k.endswith("num_batches_tracked")]}
    with open(os.path.join(HERE, "resnet50.json"), "w") as f:
        json.dump(out, f)
    print("wrote resnet50.json: largest logit", float(logits.abs().max()))


def main():
    resnet50_reference()
    if not os.path.exists(os.path.join(HERE, "mobilenet_inputs.safetensors")):
        print("mobilenet_v2.json not rewritten: ../shared is absent (the test writes the inputs from it)")
        return
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
