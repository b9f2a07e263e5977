"""Reads and writes the safetensors format with nothing but torch, json and struct (no `safetensors`
package needed): 8-byte little-endian header length, JSON header, raw little-endian tensor bytes.
Used by tests/reference/make_reference.py and scripts/export_weights.py."""
import json
import struct

import torch

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}
TORCH = {v: k for k, v in DTYPES.items()}


def save(tensors, path, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        data = t.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(text)))
        fh.write(text)
        for b in blobs:
            fh.write(b)


def load(path):
    with open(path, "rb") as fh:
        raw = fh.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        buf = bytearray(data[begin:end])
        tensors[name] = torch.frombuffer(buf, dtype=TORCH[e["dtype"]]).reshape(e["shape"]).clone() if buf else \
            torch.zeros(e["shape"], dtype=TORCH[e["dtype"]])
    return tensors, metadata
