// The test runner: doctest's own main (prints its summary line, exits non-zero on any failure), and a
// listener that names, just above that summary, the cases skipped because this machine cannot run
// them (a `doctest::skip(...)` decided at registration: no GPU, no ImageNet weights, no photograph),
// so a summary that counts skipped cases also says which they are. Each such case's name and
// comment say what it needs; a `doctest::description(...)` beside the skip says it on the line too.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <iostream>
#include <string>
#include <vector>

namespace {

struct SkippedCases : doctest::IReporter {
  explicit SkippedCases(const doctest::ContextOptions&) {}
  std::vector<std::string> names;

  void test_case_skipped(const doctest::TestCaseData& tc) override {
    if (!tc.m_skip) return;  // not the ones a -tc / -ts filter left out
    const bool why = tc.m_description && *tc.m_description;
    names.emplace_back(std::string(tc.m_name) + (why ? std::string(" (") + tc.m_description + ")" : ""));
  }
  void test_run_end(const doctest::TestRunStats&) override {
    for (const std::string& name : names) std::cout << "skipped here: " << name << "\n";
  }
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
};

}  // namespace

REGISTER_LISTENER("skipped_cases", 1, SkippedCases);
