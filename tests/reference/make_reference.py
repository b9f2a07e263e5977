#!/usr/bin/python3
"""Writes PyTorch's reference values for rcnn.cpp's tests into tests/reference/:

ops.json: the values of the ops of tests/op_cases.cpp.

For each case: the inputs (float64), the output y, and the gradient of L = sum(y * w) for each input,
with w[i] = ((i % 7) - 3) / 4. The names and functions mirror tests/op_cases.cpp one for one.
torch_written.safetensors: tensors written by PyTorch (with json + struct), read by the C++ tests.
cpp_written.safetensors (written by the C++ tests under `make reference`) is read back here and
checked, so a file goes both ways between rcnn.cpp and PyTorch.
vgg16_small.safetensors: torchvision's VGG16 `features` layout (torchvision.models.vgg.make_layers)
with every width divided by 16 and random weights, plus a test input and torchvision's output on it.
Run with Debian's PyTorch:  make reference
"""
import json
import os
import sys

import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import safetensors_io  # noqa: E402
import math

import torch.nn.functional as F
from torchvision.models.detection._utils import BoxCoder

torch.manual_seed(0)
A, P, Z = "any", "positive", "zero"
C = "constant"  # a positive input that is not differentiated (class weights)


def idx(values, shape):
    return torch.tensor(values, dtype=torch.int64).reshape(shape)


# tests/op_cases.cpp's rois(): (image, x1, y1, x2, y2) over a (2, C, 7, 6) map at scale 1/2
ROIS = torch.tensor([[0, 1, 1, 9, 7], [1, -3, 2, 6, 15], [0, 4, 4, 4, 4], [1, 10.5, 0.2, 13.9, 11.7]],
                    dtype=torch.float64)

def boxes_from(corners, sizes):
    """tests/op_cases.cpp's boxes_from: valid boxes from free inputs."""
    lo = corners * 10.0
    return torch.cat([lo, lo + sizes * 8.0], 1)


CODER = BoxCoder(weights=(10.0, 10.0, 5.0, 5.0), bbox_xform_clip=math.log(1000.0 / 16))

CASES = {
    "add_broadcast": ([((2, 3), A), ((3,), A)], lambda x: x[0] + x[1]),
    "sub_broadcast": ([((2, 1, 3), A), ((4, 1), A)], lambda x: x[0] - x[1]),
    "mul_broadcast": ([((2, 3), A), ((2, 1), A)], lambda x: x[0] * x[1]),
    "div_broadcast": ([((2, 3), A), ((3,), P)], lambda x: x[0] / x[1]),
    "maximum_broadcast": ([((2, 3), A), ((3,), A)], lambda x: torch.maximum(x[0], x[1])),
    "minimum_broadcast": ([((2, 1, 3), A), ((4, 1), A)], lambda x: torch.minimum(x[0], x[1])),
    "maximum_ties": ([((2, 3), A)], lambda x: torch.maximum(x[0], x[0] * 1.0) + torch.minimum(x[0] * 2.0, x[0] * 2.0)),
    "mul_scalar": ([((5,), A)], lambda x: 3.0 * x[0] - 1.0),
    "neg": ([((2, 3), A)], lambda x: -x[0]),
    "exp": ([((2, 3), A)], lambda x: torch.exp(x[0])),
    "log": ([((2, 3), P)], lambda x: torch.log(x[0])),
    "sqrt": ([((2, 3), P)], lambda x: torch.sqrt(x[0])),
    "pow_3": ([((2, 3), A)], lambda x: torch.pow(x[0], 3)),
    "pow_half": ([((2, 3), P)], lambda x: torch.pow(x[0], 0.5)),
    "pow_0_at_0": ([((2, 3), Z)], lambda x: torch.pow(x[0], 0)),
    "abs": ([((2, 3), A)], lambda x: torch.abs(x[0])),
    "floor_ceil": ([((2, 3), A)], lambda x: torch.stack([torch.floor(x[0] * 3.0), torch.ceil(x[0] * 3.0)], 0).detach()),
    "clamp": ([((3, 4), A)], lambda x: torch.clamp(x[0], -0.3, 0.4)),
    "relu": ([((3, 4), A)], lambda x: torch.relu(x[0])),
    "sigmoid": ([((3, 4), A)], lambda x: torch.sigmoid(x[0] * 4.0)),
    "sum_all": ([((2, 3, 4), A)], lambda x: x[0].sum()),
    "sum_dims_keepdim": ([((2, 3, 4), A)], lambda x: x[0].sum(dim=(0, 2), keepdim=True)),
    "sum_dim": ([((2, 3, 4), A)], lambda x: x[0].sum(dim=1)),
    "mean_all": ([((2, 3, 4), A)], lambda x: x[0].mean()),
    "mean_dim": ([((2, 3, 4), A)], lambda x: x[0].mean(dim=-1)),
    "max_all": ([((3, 4), A)], lambda x: x[0].max()),
    "max_dim": ([((3, 4, 2), A)], lambda x: x[0].max(dim=1).values),
    "max_dims_keepdim": ([((3, 4, 2), A)], lambda x: x[0].amax(dim=(0, 2), keepdim=True)),
    "matmul_2d": ([((3, 4), A), ((4, 5), A)], lambda x: x[0] @ x[1]),
    "matmul_batched": ([((2, 3, 4), A), ((2, 4, 5), A)], lambda x: x[0] @ x[1]),
    "matmul_shared_rhs": ([((2, 3, 4), A), ((4, 5), A)], lambda x: x[0] @ x[1]),
    "matmul_shared_lhs": ([((3, 4), A), ((2, 4, 5), A)], lambda x: x[0] @ x[1]),
    "matmul_transposed_a": ([((2, 4, 3), A), ((2, 4, 5), A)], lambda x: x[0].transpose(-2, -1) @ x[1]),
    "matmul_transposed_both": ([((4, 3), A), ((5, 4), A)], lambda x: x[0].transpose(-2, -1) @ x[1].transpose(-2, -1)),
    "transpose": ([((2, 3, 4), A)], lambda x: x[0].transpose(0, 2)),
    "permute": ([((2, 3, 4), A)], lambda x: x[0].permute(1, 2, 0)),
    "reshape": ([((2, 3, 4), A)], lambda x: x[0].reshape(4, -1) * 2.0),
    "concat": ([((2, 3), A), ((2, 2), A)], lambda x: torch.cat([x[0], x[1]], 1)),
    "stack": ([((2, 3), A), ((2, 3), A)], lambda x: torch.stack([x[0], x[1] * 2.0], 1)),
    "narrow": ([((4, 5), A)], lambda x: x[0].narrow(1, 1, 3)),
    "index_select": ([((4, 3), A)], lambda x: x[0].index_select(0, idx([3, 0, 3, 1], (4,)))),
    "gather": ([((2, 3), A)], lambda x: x[0].gather(1, idx([2, 0, 0, 1, 1, 1], (2, 3)))),
    "where": ([((2, 3), A), ((2, 3), A)], lambda x: torch.where(x[0] > x[1], x[0], x[1] * 2.0)),
    "expand": ([((3, 1), A)], lambda x: x[0].expand(2, 3, 4)),
    "sort_values": ([((3, 5), A)], lambda x: torch.sort(x[0], dim=1, stable=True).values),
    "sort_descending_dim0": ([((5, 3), A)], lambda x: torch.sort(x[0], dim=0, descending=True, stable=True).values),
    "topk_values": ([((2, 6), A)], lambda x: torch.topk(x[0], 3).values),
    # layers
    "conv2d": ([((2, 3, 6, 5), A), ((4, 3, 3, 3), A), ((4,), A)],
               lambda x: F.conv2d(x[0], x[1], x[2], stride=1, padding=1, dilation=1)),
    "conv2d_stride2_nobias": ([((1, 2, 7, 7), A), ((3, 2, 3, 3), A)], lambda x: F.conv2d(x[0], x[1], None, stride=2)),
    "conv2d_dilated": ([((1, 2, 7, 6), A), ((2, 2, 3, 3), A), ((2,), A)],
                       lambda x: F.conv2d(x[0], x[1], x[2], stride=1, padding=2, dilation=2)),
    "relu6": ([((3, 5), A)], lambda x: F.relu6(x[0] * 4.0)),
    "conv2d_1x1": ([((2, 4, 3, 3), A), ((5, 4, 1, 1), A), ((5,), A)], lambda x: F.conv2d(x[0], x[1], x[2])),
    "conv2d_groups2": ([((2, 4, 5, 5), A), ((6, 2, 3, 3), A), ((6,), A)],
                       lambda x: F.conv2d(x[0], x[1], x[2], stride=1, padding=1, groups=2)),
    "conv2d_depthwise_stride2": ([((1, 3, 7, 7), A), ((3, 1, 3, 3), A)],
                                 lambda x: F.conv2d(x[0], x[1], None, stride=2, padding=1, groups=3)),
    "max_pool2d": ([((2, 3, 6, 6), A)], lambda x: F.max_pool2d(x[0], 2, 2)),
    "max_pool2d_pad_ceil": ([((1, 2, 7, 5), A)], lambda x: F.max_pool2d(x[0], 3, 2, padding=1, ceil_mode=True)),
    "roi_align": ([((2, 3, 7, 6), A)], lambda x: torchvision.ops.roi_align(x[0], ROIS, 3, 0.5, 2, False)),
    "roi_align_adaptive_aligned": ([((2, 3, 7, 6), A)], lambda x: torchvision.ops.roi_align(x[0], ROIS, 2, 0.5, 0, True)),
    "roi_pool": ([((2, 3, 7, 6), A)], lambda x: torchvision.ops.roi_pool(x[0], ROIS, 3, 0.5)),
    "crop_and_resize": ([((2, 3, 7, 6), A)],
                        lambda x: F.max_pool2d(torchvision.ops.roi_align(x[0], ROIS, 4, 0.5, 1, False), 2, 2)),
    "box_iou": ([((5, 2), A), ((5, 2), P), ((3, 2), A), ((3, 2), P)],
                lambda x: torchvision.ops.box_iou(boxes_from(x[0], x[1]), boxes_from(x[2], x[3]))),
    "encode_boxes": ([((4, 2), A), ((4, 2), P), ((4, 2), A), ((4, 2), P)],
                     lambda x: CODER.encode_single(boxes_from(x[2], x[3]), boxes_from(x[0], x[1]))),
    "decode_boxes": ([((4, 2), A), ((4, 2), P), ((4, 4), A)],
                     lambda x: CODER.decode_single(x[2] * 0.5, boxes_from(x[0], x[1]))),
    "clip_boxes": ([((6, 2), A), ((6, 2), P)],
                   lambda x: torchvision.ops.clip_boxes_to_image(boxes_from(x[0], x[1]), (9, 7))),
    "nms": ([((12, 2), A), ((12, 2), P), ((12,), A)],
            lambda x: torchvision.ops.nms(boxes_from(x[0], x[1]), x[2], 0.3)),
    "batched_nms": ([((12, 2), A), ((12, 2), P), ((12,), A)],
                    lambda x: torchvision.ops.batched_nms(boxes_from(x[0], x[1]), x[2],
                                                          idx([0, 1, 2] * 4, (12,)), 0.3)),
    "linear": ([((4, 3), A), ((5, 3), A), ((5,), A)], lambda x: F.linear(x[0], x[1], x[2])),
    "softmax": ([((3, 5), A)], lambda x: F.softmax(x[0] * 3.0, 1)),
    "log_softmax": ([((3, 5), A)], lambda x: F.log_softmax(x[0] * 3.0, -1)),
    "cross_entropy": ([((5, 4), A), ((4,), C)],
                      lambda x: F.cross_entropy(x[0] * 2.0, idx([2, -1, 0, 3, 2], (5,)), weight=x[1], ignore_index=-1)),
    "binary_cross_entropy_with_logits": ([((3, 4), A), ((3, 4), P)],
                                         lambda x: F.binary_cross_entropy_with_logits(x[0] * 3.0, x[1] - 0.5)),
    "binary_cross_entropy_with_logits_at_0": ([((3, 4), Z), ((3, 4), P)],
                                              lambda x: F.binary_cross_entropy_with_logits(x[0], x[1] - 0.5)),
    # Fast R-CNN's smooth L1 with sigma = 3: PyTorch's beta = 1 / sigma^2 scaled by sigma^2 ... written out:
    "smooth_l1_loss": ([((4, 4), A), ((4, 4), A)], lambda x: smooth_l1(x[0], x[1], 3.0,
                                                                         torch.tensor([[1.0], [0.0], [1.0], [1.0]]), 4.0)),
    "softmax_no_rows": ([((0, 5), A)], lambda x: F.softmax(x[0], 1)),
    "log_softmax_no_rows": ([((0, 5), A)], lambda x: F.log_softmax(x[0], 1)),
    "max_dim_no_rows": ([((0, 5), A)], lambda x: x[0].max(dim=1).values),
    "sort_no_rows": ([((0, 5), A)], lambda x: x[0].sort(dim=1).values),
    "topk_no_rows": ([((0, 5), A)], lambda x: x[0].topk(2, dim=1).values),
    "gather_no_rows": ([((0, 3), A)], lambda x: x[0].gather(1, idx([], (0, 2)))),
    "index_select_none": ([((4, 3), A)], lambda x: x[0].index_select(0, idx([], (0,)))),
    "sum_no_rows": ([((0, 3), A)], lambda x: x[0].sum(dim=0)),
    "matmul_empty_inner": ([((2, 0), A), ((0, 3), A)], lambda x: x[0] @ x[1]),
    "conv2d_no_images": ([((0, 2, 5, 5), A), ((3, 2, 3, 3), A), ((3,), A)], lambda x: F.conv2d(x[0], x[1], x[2])),
    "max_pool2d_no_images": ([((0, 2, 4, 4), A)], lambda x: F.max_pool2d(x[0], 2, 2)),
    "linear_no_rows": ([((0, 3), A), ((5, 3), A), ((5,), A)], lambda x: F.linear(x[0], x[1], x[2])),
    # appended last: the global generator draws the earlier cases' inputs as before
    "upsample_nearest_odd": ([((2, 3, 3, 5), A)], lambda x: F.interpolate(x[0], size=(7, 9), mode="nearest")),
    "upsample_nearest_x2": ([((1, 2, 4, 3), A)], lambda x: F.interpolate(x[0], size=(8, 6), mode="nearest")),
    "upsample_nearest_same_and_down": ([((1, 2, 5, 6), A)], lambda x: F.interpolate(x[0], size=(5, 4), mode="nearest")),
}


def smooth_l1(x, t, sigma, weights, normalizer):
    """Fast R-CNN's smooth L1 (py-faster-rcnn's sigma), from PyTorch's: with beta = 1 / sigma^2,
    F.smooth_l1_loss is 0.5 d^2 / beta inside and |d| - 0.5 beta outside, i.e. exactly ours."""
    per_element = F.smooth_l1_loss(x, t, reduction="none", beta=1.0 / sigma ** 2)
    return (per_element * weights).sum() / normalizer


def make_input(shape, domain):
    u = torch.rand(shape, dtype=torch.float64)
    if domain == Z:
        return torch.zeros(shape, dtype=torch.float64)
    if domain in (P, C):
        return 0.5 + u
    return torch.where(u < 0.5, -1.0, 1.0) * (0.05 + 0.95 * (2 * u - 1).abs())


def roundtrip_tensors():
    """The tensors both sides write; tests/test_safetensors.cpp builds the same ones."""
    return {
        "a": torch.arange(6, dtype=torch.float32).reshape(2, 3) * 0.5,
        "b": torch.tensor([1, -2, 3], dtype=torch.int64),
        "c": torch.tensor([[1.5, -2.25], [1e-300, 3.0]], dtype=torch.float64),
    }


def safetensors_roundtrip():
    safetensors_io.save(roundtrip_tensors(), os.path.join(HERE, "torch_written.safetensors"), {"source": "torch"})
    cpp = os.path.join(HERE, "cpp_written.safetensors")
    if not os.path.exists(cpp):
        sys.exit(f"{cpp} is missing: the C++ tests write it under `make reference`")
    tensors, metadata = safetensors_io.load(cpp)
    want = roundtrip_tensors()
    assert metadata == {"source": "rcnn.cpp"}, metadata
    assert tensors.keys() == want.keys(), tensors.keys()
    for k in want:
        assert tensors[k].dtype == want[k].dtype and torch.equal(tensors[k], want[k]), k
    print(f"PyTorch read {cpp}: all {len(want)} tensors equal")


def vgg16_small():
    cfg = [4, 4, "M", 8, 8, "M", 16, 16, 16, "M", 32, 32, 32, "M", 32, 32, 32, "M"]
    features = torchvision.models.vgg.make_layers(cfg).double()
    x = torch.rand(1, 3, 40, 36, dtype=torch.float64)
    with torch.no_grad():
        y = features(x)
    tensors = {f"features.{k}": v for k, v in features.state_dict().items()}
    tensors.update({"test.input": x, "test.output": y})
    safetensors_io.save(tensors, os.path.join(HERE, "vgg16_small.safetensors"))
    print(f"wrote vgg16_small.safetensors ({len(tensors) - 2} parameters)")


def main():
    safetensors_roundtrip()
    vgg16_small()
    out = []
    for name, (specs, f) in CASES.items():
        xs = [make_input(s, d).requires_grad_(d != C) for s, d in specs]
        y = f(xs)
        if y.requires_grad:  # NMS's indices have no gradient
            w = ((torch.arange(y.numel(), dtype=torch.float64) % 7) - 3) / 4
            (y * w.reshape(y.shape)).sum().backward()
        out.append({
            "name": name,
            "inputs": [{"shape": list(x.shape), "values": x.detach().flatten().tolist()} for x in xs],
            "output": {"shape": list(y.shape), "values": y.detach().flatten().tolist()},
            "grads": [x.grad.flatten().tolist() if x.grad is not None else None for x in xs],
        })
    path = os.path.join(HERE, "ops.json")
    with open(path, "w") as fh:
        json.dump({"generator": "tests/reference/make_reference.py", "torch": torch.__version__, "cases": out}, fh)
    print(f"wrote {len(out)} cases to {path}")


if __name__ == "__main__":
    main()
