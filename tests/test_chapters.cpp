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

// The files a chapter cannot run without (its README's `needs:` line, paths separated by spaces).
std::vector<std::string> chapter_needs(const std::string& chapter) {
  std::istringstream in(comment(read_file("tutorials/" + chapter + "/README.md"), "needs"));
  std::vector<std::string> paths;
  for (std::string p; in >> p;) paths.push_back(p);
  return paths;
}

bool chapter_can_run(const std::string& chapter) {
  const std::vector<std::string> needs = chapter_needs(chapter);
  return std::all_of(needs.begin(), needs.end(), [](const std::string& p) { return fs::exists(p); });
}

// Runs the chapter with its README's `check:` arguments in a temporary folder and checks that it
// printed every line the README quotes.
void check_quoted_output(const std::string& name) {
  const std::string readme = read_file("tutorials/" + name + "/README.md");
  const std::vector<std::string> lines = quoted_output(readme);
  if (lines.empty()) return;
  CAPTURE(name);
  const fs::path program = rcnn::testing::built_program(name);
  if (!fs::exists(program)) {
    FAIL_CHECK(name << " is not built: `make test` builds the chapters (make tutorials)");
    return;
  }
  rcnn::testing::TempDir out("chapter_" + name);
  const std::string args = std::regex_replace(comment(readme, "check"), std::regex("\\{out\\}"), out.path.string());
  const auto [printed, status, seconds] = rcnn::testing::run_command(program.string() + " " + args);
  CHECK_MESSAGE(status == 0, name << " exited with status " << status << ":\n" << printed);
  for (const std::string& line : lines)
    CHECK_MESSAGE(printed.find(line) != std::string::npos,
                  name << "'s README quotes\n  " << line << "\nbut the program printed:\n" << printed);
}

// The chapters that need files a fresh clone may lack have cases of their own, skipped (and counted so by
// doctest's summary) where those files are absent.
const std::vector<std::string> kChaptersWithNeeds = {"05_base_network", "13_evaluating_a_detector", "14_transfer_learning"};

bool chapters_built() { return fs::exists(rcnn::testing::built_program("01_tensors")); }

}  // namespace

// `make test` builds the chapters; a bare `make tests` (say, of the sanitizer build) does not: skipped then.
TEST_CASE("chapter READMEs quote what their programs print" * doctest::skip(!chapters_built())) {
  std::vector<std::string> chapters;
  for (const auto& e : fs::directory_iterator("tutorials"))
    if (e.is_directory()) chapters.push_back(e.path().filename().string());
  std::sort(chapters.begin(), chapters.end());
  REQUIRE_MESSAGE(chapters.size() >= 10, "run the tests from the repository root");
  for (const std::string& name : chapters) {
    if (!chapter_needs(name).empty()) {
      CHECK_MESSAGE(std::count(kChaptersWithNeeds.begin(), kChaptersWithNeeds.end(), name) == 1,
                    name << " needs files: give it a case of its own below");
      continue;
    }
    check_quoted_output(name);
  }
}

// Chapter 05's photograph comes from `make tutorials` (scripts/get-sample-image.sh).
TEST_CASE("chapter 05 quotes what it prints on its photograph" * doctest::skip(!chapters_built() || !chapter_can_run("05_base_network"))) {
  check_quoted_output("05_base_network");
}

// Chapter 13's quoted table is the demo's detector's (`make demo` trains it; chapter 13 runs without it
// on chapter 12's, tested below).
TEST_CASE("chapter 13 quotes what it prints on the demo's detector" *
          doctest::skip(!chapters_built() || !chapter_can_run("13_evaluating_a_detector"))) {
  check_quoted_output("13_evaluating_a_detector");
}

// Chapter 14 needs the ImageNet weights and the fruit photographs (README: Real photographs).
TEST_CASE("chapter 14 quotes what it prints on the fruit photographs" *
          doctest::skip(!chapters_built() || !chapter_can_run("14_transfer_learning"))) {
  check_quoted_output("14_transfer_learning");
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

// A student checks their work: every chapter with exercises links to its answers in
// exercises/answers/, which answer each exercise by its number (## 1., ## 2., ...).
TEST_CASE("every chapter's exercises have answers, one for each") {
  for (const auto& e : fs::directory_iterator("tutorials")) {
    if (!e.is_directory()) continue;
    const std::string chapter = e.path().filename().string(), readme = read_file((e.path() / "README.md").string());
    const size_t at = readme.find("## Exercises");
    if (at == std::string::npos) continue;
    CAPTURE(chapter);
    int exercises = 0;
    std::istringstream in(readme.substr(at));
    for (std::string line; std::getline(in, line);)
      if (line.rfind(std::to_string(exercises + 1) + ". ", 0) == 0) ++exercises;
    const std::string answers_path = "exercises/answers/" + chapter + ".md";
    CHECK_MESSAGE(readme.find("(../../" + answers_path + ")") != std::string::npos, "its Exercises section links to " << answers_path);
    const std::string answers = read_file(answers_path);
    REQUIRE_MESSAGE(!answers.empty(), answers_path << " is missing");
    int answered = 0;
    while (answers.find("\n## " + std::to_string(answered + 1) + ".\n") != std::string::npos) ++answered;
    CHECK(exercises >= 2);
    CHECK(answered == exercises);
  }
}
