// libFuzzer target: any bytes as a VOC annotation. The parser must either return an annotation or
// throw rcnn::Error; anything else (a crash, another exception, a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "datasets/voc.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> warnings;
  try {
    rcnn::Annotation a = rcnn::parse_voc_annotation(std::string(reinterpret_cast<const char*>(data), size), "fuzz.xml",
                                                    rcnn::voc_classes(), warnings);
    for (const rcnn::Object& o : a.objects)  // what it returns must be usable
      if (!(o.box.width() > 0 && o.box.height() > 0 && o.box.x2 <= a.width && o.box.y2 <= a.height)) __builtin_trap();
  } catch (const rcnn::Error&) {
  }
  return 0;
}
