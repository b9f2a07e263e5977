#include "datasets/data_stats.h"

#include <cstdio>
#include <sstream>

namespace rcnn {

std::string describe_data(const Dataset& data, const std::string& split) {
  struct Counts {
    int64_t small = 0, medium = 0, large = 0, crowd = 0, difficult = 0;
  };
  std::vector<Counts> per_class(data.classes.size());
  int64_t objects = 0, empty = 0, outside = 0, sizeless = 0;
  std::string first_outside, first_sizeless;
  for (const Annotation& a : data.items) {
    empty += a.objects.empty();
    for (const Object& o : a.objects) {
      ++objects;
      Counts& c = per_class.at(static_cast<size_t>(o.label));
      const double area = o.evaluated_area();
      // Crowds and VOC's difficult objects apart: evaluation leaves both out of what must be found.
      (o.crowd ? c.crowd : o.difficult ? c.difficult : area < 32 * 32 ? c.small : area <= 96 * 96 ? c.medium : c.large) += 1;
      if (o.box.width() <= 0 || o.box.height() <= 0) {
        if (sizeless++ == 0) first_sizeless = a.id;
      } else if (o.box.x1 < 0 || o.box.y1 < 0 || o.box.x2 > a.width || o.box.y2 > a.height) {
        if (outside++ == 0) first_outside = a.id;
      }
    }
  }
  std::ostringstream out;
  out << "split " << split << ": " << data.items.size() << " images (" << empty << " without objects), " << objects
      << " objects of " << data.classes.size() << " classes\n";
  char line[160];
  std::snprintf(line, sizeof line, "  %-20s %8s %8s %8s %8s %8s %9s\n", "class", "objects", "small", "medium", "large", "crowd",
                "difficult");
  out << line;
  std::vector<std::string> no_objects;
  for (size_t k = 0; k < per_class.size(); ++k) {
    const Counts& c = per_class[k];
    const int64_t total = c.small + c.medium + c.large + c.crowd + c.difficult;
    if (total == 0) no_objects.push_back(data.classes[k]);
    std::snprintf(line, sizeof line, "  %-20s %8lld %8lld %8lld %8lld %8lld %9lld\n", data.classes[k].c_str(),
                  static_cast<long long>(total), static_cast<long long>(c.small), static_cast<long long>(c.medium),
                  static_cast<long long>(c.large), static_cast<long long>(c.crowd), static_cast<long long>(c.difficult));
    out << line;
  }
  int64_t difficult = 0;
  for (const Counts& c : per_class) difficult += c.difficult;
  if (difficult > 0)
    out << "  (objects counts all; small, medium and large leave out crowds and the " << difficult
        << " difficult objects, which the VOC evaluation neither counts nor penalises)\n";
  if (outside > 0)
    out << "warning: " << outside << " boxes reach outside their image (the first in " << first_outside
        << "): training clips them\n";
  if (sizeless > 0)
    out << "warning: " << sizeless << " boxes have no width or height (the first in " << first_sizeless
        << "): training leaves them out\n";
  for (const std::string& c : no_objects) out << "warning: class '" << c << "' has no object in this split: nothing to learn it from\n";
  return out.str();
}

}  // namespace rcnn
