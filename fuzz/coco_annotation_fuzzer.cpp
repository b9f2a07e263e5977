// libFuzzer target: any bytes as a COCO annotation file, read both for training and for evaluation.
// The parser must either return a data set or throw rcnn::Error; anything else (a crash, another
// exception, a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "datasets/coco.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const bool training : {true, false}) {
    std::vector<std::string> warnings;
    rcnn::CocoReadOptions options;
    options.missing_image = rcnn::OnMissingImage::Ignore;
    options.for_training = training;
    try {
      const rcnn::Dataset d = rcnn::parse_coco(text, "fuzz.json", "images", options, warnings);
      for (const rcnn::Annotation& a : d.items)  // what it returns must be usable
        for (const rcnn::Object& o : a.objects) {
          if (o.label < 0 || o.label >= static_cast<int64_t>(d.classes.size())) __builtin_trap();
          if (training && !(o.box.width() > 0 && o.box.height() > 0 && o.box.x2 <= a.width && o.box.y2 <= a.height && !o.crowd))
            __builtin_trap();
        }
    } catch (const rcnn::Error&) {
    }
  }
  return 0;
}
