#pragma once
// The safetensors format (as written by the `safetensors` Python package), so weights move between
// rcnn.cpp and PyTorch:
//   8 bytes   little-endian u64 N, the header's length
//   N bytes   JSON: {"__metadata__": {str: str}, "<name>": {"dtype": "F32" | "F64" | "I64",
//             "shape": [...], "data_offsets": [begin, end]}, ...}
//   the rest  the tensors' raw little-endian bytes; offsets count from the end of the header.
#include <functional>
#include <map>
#include <string>

#include "layers/module.h"

namespace rcnn {

using Metadata = std::map<std::string, std::string>;

// Writes atomically: to PATH.tmp, flushed to disk, then renamed over PATH, so an interrupted save
// never leaves a half-written file behind. Tensors may live on any device.
void save_safetensors(const std::string& path, const NamedTensors& tensors, const Metadata& metadata = {});

// Reads the tensors (to the CPU) and the metadata; any inconsistency is an error naming the file.
// `wanted`, when given, picks the tensors by name (the others are checked but not read; a predicate
// that wants none reads the header alone).
NamedTensors load_safetensors(const std::string& path, Metadata* metadata = nullptr,
                              const std::function<bool(const std::string&)>& wanted = {});

}  // namespace rcnn
