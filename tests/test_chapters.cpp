// Every line a chapter's README quotes in an ```output block is printed by the chapter's program, so
// text and code cannot drift apart. The chapters are built by `make test` and run here in a temporary
// folder; a README line `<!-- check: ARGS -->` gives the arguments ({out} is the folder) and
// `<!-- needs: PATH -->` a file without which the chapter is skipped, saying so.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <sstream>

#include "tests/files.h"
#include "tests/helpers.h"

namespace fs = std::filesystem;
using rcnn::testing::read_file;

namespace {

// The lines of every ```output block.
std::vector<std::string> quoted_output(const std::string& readme) {
  std::vector<std::string> lines;
  std::istringstream in(readme);
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("```", 0) == 0) {
      inside = !inside && line == "```output";
      continue;
    }
    if (inside && !line.empty()) lines.push_back(line);
  }
  return lines;
}

std::string comment(const std::string& readme, const std::string& key) {
  std::smatch m;
  return std::regex_search(readme, m, std::regex("<!-- " + key + ": (.*) -->")) ? m[1].str() : "";
}

}  // namespace

TEST_CASE("chapter READMEs quote what their programs print") {
  const fs::path bin = rcnn::testing::built_program("");
  std::vector<fs::path> chapters;
  for (const auto& e : fs::directory_iterator("tutorials"))
    if (e.is_directory()) chapters.push_back(e.path());
  std::sort(chapters.begin(), chapters.end());
  REQUIRE_MESSAGE(chapters.size() >= 10, "run the tests from the repository root");
  // `make test` builds the chapters; a bare `make tests` (say, of the sanitizer build) does not.
  if (!fs::exists(bin / chapters.front().filename())) {
    MESSAGE("skipped: the chapters are not built in " << bin.string() << " (`make test` or `make tutorials`)");
    return;
  }
  for (const fs::path& chapter : chapters) {
    const std::string name = chapter.filename().string(), readme = read_file((chapter / "README.md").string());
    const std::vector<std::string> lines = quoted_output(readme);
    if (lines.empty()) continue;
    CAPTURE(name);
    const std::string needs = comment(readme, "needs");
    if (!needs.empty() && !fs::exists(needs)) {
      MESSAGE("skipped " << name << ": it needs " << needs << " (make demo or make tutorials makes it)");
      continue;
    }
    if (!fs::exists(bin / name)) {
      FAIL_CHECK(name << " is not built: `make test` builds the chapters (make tutorials)");
      continue;
    }
    rcnn::testing::TempDir out("chapter_" + name);
    const std::string args = std::regex_replace(comment(readme, "check"), std::regex("\\{out\\}"), out.path.string());
    const auto [printed, status, seconds] = rcnn::testing::run_command((bin / name).string() + " " + args);
    CHECK_MESSAGE(status == 0, name << " exited with status " << status << ":\n" << printed);
    for (const std::string& line : lines)
      CHECK_MESSAGE(printed.find(line) != std::string::npos,
                    name << "'s README quotes\n  " << line << "\nbut the program printed:\n" << printed);
  }
}
