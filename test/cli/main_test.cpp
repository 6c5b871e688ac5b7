// The podsim executable's own conventions (sim/cli/main.cpp), run as a user does.

#include <catch2/catch.hpp>

#include <string>

#include "test/support/podsim_process.hpp"

namespace podsim {
namespace {

using test::contains;
using test::Run;
using test::run_podsim;

TEST_CASE("podsim --version prints the project version and exits 0") {
  const Run run = run_podsim("--version");
  CHECK(run.exit_code == 0);
  // CMakeLists.txt: project(podsim VERSION 0.1 ...).
  CHECK(run.out == "podsim 0.1\n");
}

TEST_CASE("an unknown command is named with the list of commands") {
  const Run run = run_podsim("frobnicate");
  CHECK(run.exit_code == 2);
  CHECK(contains(run.err, "'frobnicate' is not a podsim command"));
  CHECK(contains(run.err, "run, calibrate, trace, replay, collective, explain, compare, sweep"));
}

TEST_CASE("the log level may come after the command") {
  const Run run = run_podsim("collective --shape 2x2x2 --op all-gather --axes x --bytes 1MiB "
                             "--log-level info");
  INFO(run.err);
  CHECK(run.exit_code == 0);
}

}  // namespace
}  // namespace podsim
