// The repository is self-contained (issue 15, item 11): nothing refers to the developers' shared
// folder beside it (which users do not have; the pattern is spelt in two pieces so that this file
// does not match itself), and every citation of the design or the facts points at a document in the
// repository (sim/README.md, platforms/README.md), whose cited sections exist.

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <set>
#include <string>

#include "test/support/podsim_process.hpp"

namespace {

namespace fs = std::filesystem;
using podsim::test::read_file;
using podsim::test::run_command;
using podsim::test::shell_quote;

const fs::path kRepo = fs::path(PODSIM_TEST_DIR) / "..";

// Files of the repository (tracked by git) matching a grep pattern, minus the CI's own folder,
// the fuzzers' regression inputs (bytes found by a fuzzer, kept as they were found) and the
// reference outputs.
std::string tracked_matches(const std::string& pattern) {
  return run_command("cd " + shell_quote(kRepo.string()) + " && git grep -lI -e " +
                     shell_quote(pattern) +
                     " -- . ':!.ci' ':!test/inputs/bad' ':!test/golden' ':!BENCHMARKS.md' "
                     "':!test/scripts/self_contained_test.cpp'")
      .out;
}

}  // namespace

TEST_CASE("nothing in the repository refers to the shared folder beside it") {
  CHECK(tracked_matches(std::string("\\.\\./") + "shared") == "");
}

TEST_CASE("citations of the design and the facts point into the repository") {
  CHECK(tracked_matches("FACTS\\.md") == "");
  CHECK(tracked_matches("DESIGN\\.md") == "");
}

TEST_CASE("every cited section of sim/README.md and platforms/README.md exists") {
  for (const std::string doc : {"sim/README.md", "platforms/README.md"}) {
    const std::string text = read_file(kRepo / doc);
    std::set<std::string> sections;
    const std::regex heading(R"(\n## (\d+)\. )");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), heading);
         it != std::sregex_iterator(); ++it)
      sections.insert((*it)[1]);
    const std::string cited = run_command("cd " + shell_quote(kRepo.string()) +
                                          " && git grep -ohI -e " + shell_quote(doc + " §[0-9]*") +
                                          " -- . ':!test/inputs/bad'")
                                  .out;
    INFO(doc);
    CHECK(!sections.empty());
    const std::regex cite(R"(§(\d+))");
    for (auto it = std::sregex_iterator(cited.begin(), cited.end(), cite);
         it != std::sregex_iterator(); ++it) {
      INFO("cited section " << (*it)[1]);
      CHECK(sections.count((*it)[1]) == 1);
    }
  }
}
