#pragma once
// "Did you mean ...?" for a mistyped name (a config key, a command): the known name nearest in edit
// distance, when it is close enough to be a typo.
#include <algorithm>
#include <string>
#include <vector>

namespace rcnn {

// Levenshtein distance: insertions, deletions and substitutions, one each.
inline size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// " (did you mean 'x'?)" for the known name within 3 edits of `word` (the nearest, the first of
// equals), or "" when none is.
inline std::string did_you_mean(const std::string& word, const std::vector<std::string>& known) {
  size_t best = 4;
  std::string hint;
  for (const std::string& k : known)
    if (const size_t d = edit_distance(word, k); d < best) best = d, hint = " (did you mean '" + k + "'?)";
  return hint;
}

}  // namespace rcnn
