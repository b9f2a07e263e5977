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
      // The demo trains runs/shapes_tiny; `make tutorials` fetches the photograph (data/chelsea.png).
      MESSAGE("skipped " << name << ": it needs " << needs << " ("
                         << (needs.rfind("runs/", 0) == 0 ? "`make demo` makes it" : "`make tutorials` fetches it") << ")");
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

// A student follows what a chapter says to run and where it says to look: every `make TARGET` a chapter
// README names is a target of the Makefile, and every "chapter NN" it names exists.
TEST_CASE("chapter READMEs name only make targets and chapters that exist") {
  const std::string makefile = read_file("Makefile");
  std::vector<std::string> chapters;
  for (const auto& e : fs::directory_iterator("tutorials"))
    if (e.is_directory()) chapters.push_back(e.path().filename().string());
  REQUIRE(chapters.size() >= 13);
  for (const std::string& chapter : chapters) {
    CAPTURE(chapter);
    const std::string readme = read_file("tutorials/" + chapter + "/README.md");
    const std::regex make("`make ([a-z][a-z-]*)"), named("[Cc]hapter ([0-9][0-9])");
    for (auto m = std::sregex_iterator(readme.begin(), readme.end(), make); m != std::sregex_iterator(); ++m) {
      const std::string target = (*m)[1];
      CAPTURE(target);
      CHECK(std::regex_search(makefile, std::regex("(^|\\n)" + target + ":")));
    }
    for (auto m = std::sregex_iterator(readme.begin(), readme.end(), named); m != std::sregex_iterator(); ++m) {
      const std::string number = (*m)[1];
      CAPTURE(number);
      CHECK(std::any_of(chapters.begin(), chapters.end(), [&](const std::string& c) { return c.rfind(number + "_", 0) == 0; }));
    }
  }
}

// Chapter 06's table comes from the anchors it used: with the seed article's 4 sizes, 12 rows labelled
// with their own ratio and size (it assumed 3 sizes once and labelled the rows of this preset wrongly).
TEST_CASE("chapter 06's anchor table labels every row from the preset it ran") {
  const fs::path program = rcnn::testing::built_program("06_anchors_and_box_coding");
  if (!fs::exists(program)) {
    MESSAGE("skipped: " << program.string() << " is not built (`make test` builds it)");
    return;
  }
  rcnn::testing::TempDir dir("chapter06");
  const auto r = rcnn::testing::run_command(program.string() + " --preset luminoth --out " + dir / "out");
  REQUIRE(r.status == 0);
  CHECK(r.output.find("12 anchors per cell") != std::string::npos);
  CHECK(r.output.find("  1:2  64      90.5 x 45.3    area 64^2\n") != std::string::npos);
  CHECK(r.output.find("  1:1  64      64.0 x 64.0    area 64^2\n") != std::string::npos);
  CHECK(r.output.find("  2:1  512    362.0 x 724.1   area 512^2\n") != std::string::npos);
}

// `make tutorials` on a fresh clone: chapter 13 finds the detector chapter 12 left, and with none it
// fails, saying what to run (it printed a line and passed before).
TEST_CASE("chapter 13 runs on chapter 12's detector, and fails loudly without one") {
  const fs::path ch12 = rcnn::testing::built_program("12_faster_rcnn"), ch13 = rcnn::testing::built_program("13_evaluating_a_detector");
  if (!fs::exists(ch12) || !fs::exists(ch13)) {
    MESSAGE("skipped: the chapters are not built (`make test` builds them)");
    return;
  }
  rcnn::testing::TempDir dir("chapter13");
  fs::create_directory_symlink(fs::absolute("configs"), dir.path / "configs");
  const std::string in_dir = "cd " + dir.path.string() + " && ";
  const auto none = rcnn::testing::run_command(in_dir + ch13.string());
  CHECK(none.status == 1);
  CHECK(none.output.find("error: chapter 13 evaluates a trained detector and finds none: run chapter 12 first") == 0);
  // Chapter 12 takes --set as rcnn train does (its exercises change the config that way).
  const auto trained = rcnn::testing::run_command(in_dir + ch12.string() + " --iterations 6 --snapshot 3 --images 20 --set rpn.class_weight=1");
  REQUIRE_MESSAGE(trained.status == 0, trained.output);
  const auto scored = rcnn::testing::run_command(in_dir + ch13.string());
  CAPTURE(scored.output);
  CHECK(scored.status == 0);
  CHECK(scored.output.find("runs/12_faster_rcnn/run after 6 iterations, on ") == 0);
  CHECK(scored.output.find("mAP@0.5: ") != std::string::npos);
}
