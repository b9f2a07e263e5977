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

// The format a file's first bytes announce, for messages only: stb tries its decoders in turn and
// reports the last one's complaint, so a JPEG cut inside its header fails with "bad png sig".
const char* announced_format(const uint8_t* b, size_t size) {
  auto starts = [&](std::initializer_list<uint8_t> magic) {
    return size >= magic.size() && std::equal(magic.begin(), magic.end(), b);
  };
  if (starts({0xFF, 0xD8, 0xFF})) return "JPEG";
  if (starts({0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'})) return "PNG";
  if (starts({'G', 'I', 'F', '8'})) return "GIF";
  if (starts({'B', 'M'})) return "BMP";
  return nullptr;
}

// Why stb could not decode a file, in words that name its real problem. stb's own complaint is quoted
// only where no format was announced: otherwise it may be another decoder's.
std::string decode_failure(const uint8_t* bytes, size_t size) {
  const char* format = announced_format(bytes, size);
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

bool declared_image_size(const uint8_t* b, size_t size, int64_t& width, int64_t& height) {
  auto big16 = [&](size_t at) { return (int64_t(b[at]) << 8) | b[at + 1]; };
  auto big32 = [&](size_t at) { return (big16(at) << 16) | big16(at + 2); };
  auto little16 = [&](size_t at) { return (int64_t(b[at + 1]) << 8) | b[at]; };
  auto little32 = [&](size_t at) { return static_cast<int64_t>(static_cast<int32_t>((little16(at + 2) << 16) | little16(at))); };
  if (!looks_like_image(b, size)) return false;
  if (b[0] == 0x89) {  // PNG: the IHDR chunk comes first
    if (size < 24) return false;
    width = big32(16), height = big32(20);
    return true;
  }
  if (b[0] == 'G') {  // GIF: the logical screen
    if (size < 10) return false;
    width = little16(6), height = little16(8);
    return true;
  }
  if (b[0] == 'B') {  // BMP: BITMAPINFOHEADER; a negative height means top-down rows
    if (size < 26) return false;
    width = little32(18), height = std::abs(little32(22));
    return true;
  }
  // JPEG: the marker segments up to the first start-of-frame (SOF0..SOF15 but DHT, JPG and DAC).
  for (size_t pos = 2; pos + 9 <= size;) {
    if (b[pos] != 0xFF) return false;
    const uint8_t marker = b[pos + 1];
    if (marker == 0xFF) {
      ++pos;
      continue;
    }
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      height = big16(pos + 5), width = big16(pos + 7);
      return true;
    }
    pos += 2 + static_cast<size_t>(big16(pos + 2));
  }
  return false;
}

bool looks_like_image(const uint8_t* b, size_t size) {
  auto starts = [&](const char* magic, size_t n) { return size >= n && std::equal(b, b + n, reinterpret_cast<const uint8_t*>(magic)); };
  return starts("\xFF\xD8\xFF", 3) || starts("\x89PNG\r\n\x1A\n", 8) || starts("BM", 2) || starts("GIF8", 4);
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
