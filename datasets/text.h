#pragma once
// Reading the small text files of a data set (classes.txt, split lists) the way people write them:
// Windows line ends, trailing spaces and a UTF-8 byte-order mark are not part of a name. Messages show
// what is invisible, so "cannot open \ufeff000001.xml" says why.
#include <charconv>
#include <cstdio>
#include <string>

namespace rcnn {

constexpr const char* kUtf8Bom = "\xEF\xBB\xBF";

// Without surrounding whitespace (spaces, tabs, CR, LF) and without a leading byte-order mark.
inline std::string trim(std::string s) {
  if (s.rfind(kUtf8Bom, 0) == 0) s.erase(0, 3);
  const char* space = " \t\r\n\v\f";
  const size_t first = s.find_first_not_of(space);
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

// The text with control characters, the byte-order mark and no-break spaces written out as escapes.
inline std::string visible(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (s.compare(i, 3, kUtf8Bom) == 0) {
      out += "\\ufeff";
      i += 2;
    } else if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0) {
      out += "\\u00a0";
      ++i;
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7F) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// The shortest decimal text that reads back as exactly `v` (results files, configs): a value rounded
// on its way through a text file could create a tie, move an IoU across 0.5 or change a run.
inline std::string shortest(double v) {
  char text[32];
  const auto [end, error] = std::to_chars(text, text + sizeof text, v);
  return std::string(text, end);
}

}  // namespace rcnn
