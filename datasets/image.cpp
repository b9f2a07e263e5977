#include "datasets/image.h"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <memory>

namespace rcnn {

Image::Image(int w, int h, Color fill) : width(w), height(h), rgb(static_cast<size_t>(w) * h * 3) {
  check(w > 0 && h > 0, "Image: size ", w, "x", h, " must be positive");
  for (size_t i = 0; i < rgb.size(); i += 3) rgb[i] = fill.r, rgb[i + 1] = fill.g, rgb[i + 2] = fill.b;
}

namespace {

// Debian's stb_image (v2.27) trusts a JPEG's Huffman table sizes: a DHT segment declaring more than
// 256 codes makes stbi__build_huffman and stbi__process_dht write past their tables (found by
// fuzz/image_fuzzer; stb_image 2.28 adds the check). Until Debian ships the fix, such files are rejected
// here, before stb sees them. Walks the JPEG's marker segments, skipping entropy-coded data.
void check_jpeg_huffman_tables(const uint8_t* b, size_t size, const std::string& name) {
  size_t pos = 0;
  while (pos < size && b[pos] == 0xFF) ++pos;  // stb, too, skips fill bytes before the start marker
  if (pos == 0 || pos >= size || b[pos] != 0xD8) return;  // not a JPEG
  ++pos;
  while (pos + 4 <= size) {
    if (b[pos] != 0xFF) {  // entropy-coded data after a scan: find the next marker
      ++pos;
      continue;
    }
    const uint8_t marker = b[pos + 1];
    if (marker == 0xFF || marker == 0x00 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      pos += marker == 0xFF ? 1 : 2;  // fill byte, stuffed zero, restart marker: no length
      continue;
    }
    if (marker == 0xD9) return;  // end of image
    const size_t length = (size_t(b[pos + 2]) << 8) | b[pos + 3];  // includes its own two bytes
    if (marker != 0xC4) {
      pos += 2 + length;
      continue;
    }
    // DHT: tables of (class/id, 16 counts, values), read the way stb reads them: while the declared
    // length is not used up, even past it, with bytes past the end of the file read as 0.
    size_t t = pos + 4;
    for (long remaining = static_cast<long>(length) - 2; remaining > 0 && t < size;) {
      if ((b[t] >> 4) > 1 || (b[t] & 15) > 3) return;  // stb stops at this table with an error
      size_t codes = 0;
      for (size_t i = t + 1; i <= t + 16 && i < size; ++i) codes += b[i];
      check(codes <= 256, "load_image: cannot decode ", name, ": corrupt JPEG (a Huffman table declares ", codes,
            " codes, at most 256 exist)");
      t += 17 + codes;
      remaining -= static_cast<long>(17 + codes);
    }
    pos = t;
  }
}

// Why stb could not decode a file, in words that name its real problem. stb's own complaint is quoted
// only where no format was announced: otherwise it may be another decoder's.
std::string decode_failure(const uint8_t* bytes, size_t size) {
  const char* format = image_format(bytes, size);
  if (!format)
    return concat_message("not an image stb_image reads (JPEG, PNG, BMP, GIF, TGA, PNM, PSD, HDR): ",
                          stbi_failure_reason() ? stbi_failure_reason() : "unknown");
  int w = 0, h = 0, channels = 0;
  if (!stbi_info_from_memory(bytes, static_cast<int>(size), &w, &h, &channels))
    return concat_message("a ", format, " (by its first bytes) whose header is cut short or corrupt (", size, " bytes)");
  return concat_message("a ", w, "x", h, " ", format, " whose data is cut short or corrupt (", size, " bytes)");
}

}  // namespace

Image load_image(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  check(in.good(), "load_image: cannot open ", path);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return decode_image(bytes.data(), bytes.size(), path);
}

Image decode_image(const uint8_t* bytes, size_t size, const std::string& name) {
  check(size > 0 && size < (size_t(1) << 31), "load_image: ", name, " is empty or too large (", size, " bytes)");
  check_jpeg_huffman_tables(bytes, size, name);
  int w = 0, h = 0, channels = 0;
  std::unique_ptr<uint8_t, void (*)(void*)> data(
      stbi_load_from_memory(bytes, static_cast<int>(size), &w, &h, &channels, 3), stbi_image_free);
  if (!data) throw Error(concat_message("load_image: cannot decode ", name, ": ", decode_failure(bytes, size)));
  Image image;
  image.width = w;
  image.height = h;
  image.rgb.assign(data.get(), data.get() + static_cast<size_t>(w) * h * 3);
  return image;
}

bool declared_image_size(const uint8_t* bytes, size_t size, int64_t& width, int64_t& height) {
  // stb's own header parse, which stbi_load runs on the same bytes: a second, hand-written one read
  // other numbers than the decoder did (Apple's CgBI PNGs, OS/2 BMPs) and let bombs through. (Why it
  // failed cannot be told: stb tries every format's parse and keeps the last one's complaint.)
  int w = 0, h = 0, channels = 0;
  if (size == 0 || size >= (size_t(1) << 31) || !image_format(bytes, size) ||
      !stbi_info_from_memory(bytes, static_cast<int>(size), &w, &h, &channels))
    return false;
  width = w, height = h;
  return true;
}

const char* image_format(const uint8_t* b, size_t size) {
  auto starts = [&](std::initializer_list<uint8_t> magic) { return size >= magic.size() && std::equal(magic.begin(), magic.end(), b); };
  if (starts({0xFF, 0xD8, 0xFF})) return "JPEG";
  if (starts({0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'})) return "PNG";
  if (starts({'G', 'I', 'F', '8'})) return "GIF";
  if (starts({'B', 'M'})) return "BMP";
  return nullptr;
}

void save_png(const Image& image, const std::string& path) {
  check(stbi_write_png(path.c_str(), image.width, image.height, 3, image.rgb.data(), image.width * 3) != 0,
        "save_png: cannot write ", path);
}

void save_jpeg(const Image& image, const std::string& path, int quality) {
  check(stbi_write_jpg(path.c_str(), image.width, image.height, 3, image.rgb.data(), quality) != 0,
        "save_jpeg: cannot write ", path);
}

}  // namespace rcnn
