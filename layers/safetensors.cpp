#include "layers/safetensors.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

namespace rcnn {

namespace {

const char* format_name(DType t) {
  switch (t) {
    case DType::Float32: return "F32";
    case DType::Float64: return "F64";
    default: return "I64";
  }
}

DType parse_dtype(const std::string& name, const std::string& path, const std::string& tensor) {
  if (name == "F32") return kFloat32;
  if (name == "F64") return kFloat64;
  if (name == "I64") return kInt64;
  throw Error(concat_message("load_safetensors: ", path, ": tensor '", tensor, "' has dtype ", name,
                             ", rcnn.cpp reads F32, F64 and I64"));
}

}  // namespace

void save_safetensors(const std::string& path, const NamedTensors& tensors, const Metadata& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<Tensor> host;
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    check(names.insert(name).second, "save_safetensors: the name '", name, "' appears twice");
    check(name != "__metadata__", "save_safetensors: '__metadata__' is reserved");
    uint64_t bytes = t.numel() * dtype_size(t.dtype());
    header[name] = {{"dtype", format_name(t.dtype())}, {"shape", t.shape()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    host.push_back(t.cpu());
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keep the data 8-byte aligned
  const uint64_t n = text.size();

  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  check(f != nullptr, "save_safetensors: cannot open ", tmp, " for writing: ", std::strerror(errno));
  unsigned char size_le[8];
  for (int i = 0; i < 8; ++i) size_le[i] = static_cast<unsigned char>(n >> (8 * i));
  bool ok = std::fwrite(size_le, 1, 8, f) == 8 && std::fwrite(text.data(), 1, n, f) == n;
  for (const Tensor& t : host) {
    size_t bytes = t.numel() * dtype_size(t.dtype());
    ok = ok && std::fwrite(t.raw(), 1, bytes, f) == bytes;
  }
  ok = ok && std::fflush(f) == 0 && fsync(fileno(f)) == 0;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) std::remove(tmp.c_str());
  check(ok, "save_safetensors: writing ", tmp, " failed: ", std::strerror(errno));
  check(std::rename(tmp.c_str(), path.c_str()) == 0, "save_safetensors: cannot rename ", tmp, " to ", path, ": ",
        std::strerror(errno));
}

NamedTensors load_safetensors(const std::string& path, Metadata* metadata, const std::function<bool(const std::string&)>& wanted) {
  // The header is read first and each wanted tensor straight into its own memory: no copy of the whole
  // file is held (a checkpoint is weights and momentum; inference wants the weights alone).
  std::ifstream in(path, std::ios::binary);
  check(in.good(), "load_safetensors: cannot open ", path);
  in.seekg(0, std::ios::end);
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  auto fail = [&](const auto&... parts) { return Error(concat_message("load_safetensors: ", path, ": ", parts...)); };
  if (file_size < 8) throw fail("the file has ", file_size, " bytes, too short for a safetensors header");
  unsigned char length[8];
  in.read(reinterpret_cast<char*>(length), 8);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= uint64_t(length[i]) << (8 * i);
  if (n > file_size - 8) throw fail("the header claims ", n, " bytes but the file has ", file_size);
  std::string text(n, '\0');
  in.read(text.data(), static_cast<std::streamsize>(n));
  if (!in) throw fail("cannot read the header");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw fail("the header is not valid JSON (", e.what(), ")");
  }
  if (!header.is_object()) throw fail("the header is not a JSON object");
  const uint64_t data_start = 8 + n, data_size = file_size - 8 - n;

  NamedTensors out;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (metadata) *metadata = entry.get<Metadata>();
      continue;
    }
    Shape shape;
    uint64_t begin = 0, end = 0;
    std::string dtype_text;
    try {
      dtype_text = entry.at("dtype").get<std::string>();
      shape = entry.at("shape").get<Shape>();
      auto offsets = entry.at("data_offsets").get<std::vector<uint64_t>>();
      if (offsets.size() != 2) throw fail("tensor '", name, "': data_offsets must hold two numbers");
      begin = offsets[0];
      end = offsets[1];
    } catch (const nlohmann::json::exception& e) {
      throw fail("tensor '", name, "': ", e.what());
    }
    DType dtype = parse_dtype(dtype_text, path, name);
    for (int64_t s : shape)
      if (s < 0) throw fail("tensor '", name, "' has a negative size in ", shape_str(shape));
    if (begin > end || end > data_size)
      throw fail("tensor '", name, "': bytes [", begin, ", ", end, ") lie outside the ", data_size, " data bytes");
    if (end - begin != numel(shape) * dtype_size(dtype))
      throw fail("tensor '", name, "': ", end - begin, " bytes for shape ", shape_str(shape), " ", dtype_name(dtype));
    if (wanted && !wanted(name)) continue;
    Tensor t = Tensor::empty(shape, dtype);
    in.seekg(static_cast<std::streamoff>(data_start + begin));
    in.read(static_cast<char*>(t.raw()), static_cast<std::streamsize>(end - begin));
    if (!in) throw fail("tensor '", name, "': cannot read its bytes");
    out.emplace_back(name, t);
  }
  return out;
}

}  // namespace rcnn
