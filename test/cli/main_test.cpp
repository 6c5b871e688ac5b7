// podsim's own command line (sim/cli/main.cpp) and the smaller defects of issue 14, item 9, as a
// user meets them: each ends in one line and exit 2, and says what would be right.

#include <catch2/catch.hpp>
#include <string>

#include "test/support/podsim_process.hpp"

namespace {

using podsim::test::contains;
using podsim::test::run_podsim;
using podsim::test::shell_quote;

const std::string kGood = std::string(PODSIM_TEST_DIR) + "/inputs/good";
constexpr int kTimeout = 60;

}  // namespace

TEST_CASE("an unknown command is named, with the commands there are") {
  const podsim::test::Run run = run_podsim("frobnicate x.yaml", kTimeout);
  CHECK(run.exit_code == 2);
  CHECK(run.err ==
        "<command line>: 'frobnicate' is not a podsim command; commands: calibrate, collective, "
        "compare, completion, explain, pareto, replay, run, sweep, trace; see podsim --help\n");
  const podsim::test::Run close = run_podsim("swep x.yaml", kTimeout);
  CHECK(close.exit_code == 2);
  CHECK(contains(close.err, "'swep' is not a podsim command (did you mean 'sweep'?)"));
}

TEST_CASE("a sweep whose base scenario has an unknown key exits 2 before running a point") {
  const podsim::test::TempDir dir;
  const std::string base =
      dir.write("base.yaml", "name: broken\nplatform: tpu-v4\nbacth: 8\n");
  const std::string sweep =
      dir.write("sweep.yaml", "name: s\nbase: " + base + "\ngrid:\n  batch: [8, 16]\n");
  const podsim::test::Run run =
      run_podsim("sweep " + shell_quote(sweep) + " -o " + shell_quote(dir.file("out.csv")), kTimeout);
  INFO("stderr: " << run.err);
  CHECK(run.exit_code == 2);
  CHECK(run.err == base + ":3:1: bacth: is not a scenario key; did you mean 'batch'?\n");
  CHECK(!podsim::test::fs::exists(dir.file("out.csv")));
}

TEST_CASE("a 2 MB value is not echoed whole in the error line") {
  const podsim::test::TempDir dir;
  std::string text = podsim::test::read_file(kGood + "/toy-prefill.yaml");
  const std::string phase = "phase: prefill";
  REQUIRE(contains(text, phase));
  text.replace(text.find(phase), phase.size(), "phase: " + std::string(2 << 20, 'x'));
  const std::string scenario = dir.write("huge-value.yaml", text);
  const podsim::test::Run run = run_podsim("run " + shell_quote(scenario), kTimeout);
  INFO("stderr: " << run.err.substr(0, 2000));
  CHECK(run.exit_code == 2);
  CHECK(run.err.find('\n') == run.err.size() - 1);
  CHECK(run.err.size() < 4096);
  CHECK(contains(run.err, "bytes]..."));
}

TEST_CASE("podsim --version prints the project version and exits 0") {
  const auto run = run_podsim("--version");
  CHECK(run.exit_code == 0);
  // CMakeLists.txt: project(podsim VERSION 0.1 ...).
  CHECK(run.out == "podsim 0.1\n");
}

TEST_CASE("the log level may come after the command") {
  const auto run = run_podsim("collective --shape 2x2x2 --op all-gather --axes x --bytes 1MiB "
                             "--log-level info");
  INFO(run.err);
  CHECK(run.exit_code == 0);
}
