#!/usr/bin/python3
"""torchvision 0.14's MobileNetV2 with the ImageNet weights of ../shared/weights, on the photographs that
tests/test_backbones.cpp preprocessed (tests/reference/mobilenet_inputs.safetensors, written by
`RCNN_WRITE_FIXTURES=1 run_tests -tc='MobileNetV2*'`): the logits and top-1 class of each, into
tests/reference/mobilenet_v2.json. Run by `make reference`."""
import json
import os
import struct

import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
WEIGHTS = os.path.join(HERE, "../../../shared/weights/mobilenet_v2_imagenet.safetensors")
CLASSES = os.path.join(HERE, "../../../shared/weights/imagenet_classes.txt")
DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}


def read_safetensors(path):
    """The format is small enough to read by hand: 8 bytes of header length, a JSON header, the data."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, h in header.items():
        begin, end = h["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=DTYPES[h["dtype"]]).reshape(h["shape"])
    return tensors, meta


def main():
    inputs, meta = read_safetensors(os.path.join(HERE, "mobilenet_inputs.safetensors"))
    net = torchvision.models.mobilenet_v2()
    weights, _ = read_safetensors(WEIGHTS)
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
