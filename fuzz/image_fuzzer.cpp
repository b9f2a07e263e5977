// libFuzzer target: any bytes as an encoded image (JPEG, PNG, BMP, GIF, ...), through the decoder
// path load_image uses. It must return a consistent image or throw rcnn::Error.
#include <cstddef>
#include <cstdint>

#include "datasets/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    rcnn::Image image = rcnn::decode_image(data, size, "fuzz");
    if (image.rgb.size() != static_cast<size_t>(image.width) * image.height * 3) __builtin_trap();
  } catch (const rcnn::Error&) {
  }
  return 0;
}
