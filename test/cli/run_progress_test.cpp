// Progress inside one `podsim run` (issue 15: "progress with an estimate on every command that
// runs longer than a few seconds"): with --progress, lines on stderr say how many of the
// simulations' tasks are done; stdout and every output stay byte for byte what they are without
// it.

#include <catch2/catch.hpp>
#include <regex>
#include <sstream>
#include <string>

#include "test/support/podsim_process.hpp"

namespace {

using podsim::test::Run;
using podsim::test::run_podsim;
using podsim::test::shell_quote;

const std::string kToy = std::string(PODSIM_TEST_DIR) + "/inputs/good/toy-prefill.yaml";

}  // namespace

TEST_CASE("run --progress reports its simulations on stderr and leaves stdout unchanged") {
  for (const std::string& format : {std::string("text"), std::string("json")}) {
    INFO(format);
    const Run plain = run_podsim("run " + shell_quote(kToy) + " --format " + format, 120);
    const Run shown = run_podsim("--progress run " + shell_quote(kToy) + " --format " + format, 120);
    REQUIRE(plain.exit_code == 0);
    REQUIRE(shown.exit_code == 0);
    CHECK(shown.out == plain.out);
    CHECK(plain.err.empty());
    INFO(shown.err);
    // At least one line, the last saying every simulation of its round is done, all tasks.
    const std::regex line(
        R"(^round (\d+) \((.+)\): \[[#.]{20}\] (\d+)% of (at least )?[0-9.]+[kM]? tasks, (\d+) of (\d+) done, \d+:\d\d elapsed, .*left.*$)");
    std::istringstream in(shown.err);
    std::string last;
    int lines = 0;
    for (std::string l; std::getline(in, l);) {
      CHECK(std::regex_match(l, line));
      last = l;
      ++lines;
    }
    REQUIRE(lines >= 1);
    std::smatch m;
    REQUIRE(std::regex_match(last, m, line));
    CHECK(m[3] == "100");
    CHECK(m[5] == m[6]);
  }
}
