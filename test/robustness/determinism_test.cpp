// Determinism: the same inputs give byte-identical outputs, run after run (the simulation has no
// randomness, and nothing in the output may depend on addresses, hash order, time or the
// process), whether the output goes to stdout or to a file, and from any working directory.

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "test/support/podsim_process.hpp"

namespace {

using namespace podsim::test;

const std::string kGood = std::string(PODSIM_TEST_DIR) + "/inputs/good";

// Runs `args` three times and requires exit 0 and the same, non-empty stdout each time.
std::string same_output_three_times(const std::string& args) {
  const Run first = run_podsim(args);
  INFO("podsim " << args << "\nstderr: " << first.err);
  REQUIRE(first.exit_code == 0);
  REQUIRE_FALSE(first.out.empty());
  for (int i = 0; i < 2; ++i) {
    const Run again = run_podsim(args);
    REQUIRE(again.exit_code == 0);
    REQUIRE(again.out == first.out);
  }
  return first.out;
}

}  // namespace

TEST_CASE("podsim run --json gives byte-identical JSON across runs", "[robustness]") {
  same_output_three_times("run " + shell_quote(kGood + "/toy-generate.yaml") + " --json -");
}

TEST_CASE("podsim run --exact --json gives byte-identical JSON across runs", "[robustness]") {
  same_output_three_times("run " + shell_quote(kGood + "/toy-generate.yaml") +
                          " --exact --json -");
}

TEST_CASE("podsim run --json to a file matches --json to stdout", "[robustness]") {
  const std::string scenario = shell_quote(kGood + "/toy-prefill.yaml");
  const std::string out = same_output_three_times("run " + scenario + " --json -");
  TempDir dir;
  const std::string file = (dir.path / "metrics.json").string();
  const Run run = run_podsim("run " + scenario + " --json " + shell_quote(file));
  REQUIRE(run.exit_code == 0);
  REQUIRE(read_file(file) == out);
}

TEST_CASE("podsim collective --json gives byte-identical JSON across runs", "[robustness]") {
  // All-to-all on a wrapped 4x4x4: flows contend on shared links, the most order-sensitive case.
  same_output_three_times("collective --shape 4x4x4 --op all-to-all --axes xyz --bytes 1MiB "
                          "--json -");
  same_output_three_times("collective --shape 2x4x2 --op all-reduce --axes xyz --bytes 3MiB "
                          "--multi-axis sequential --json -");
}

TEST_CASE("podsim trace gives byte-identical traces across runs and working directories",
          "[robustness]") {
  const std::string args = "trace " + shell_quote(kGood + "/toy-generate.yaml") + " -o -";
  const std::string out = same_output_three_times(args);
  TempDir elsewhere;
  const Run run = run_podsim(args, 60, elsewhere.path.string());
  REQUIRE(run.exit_code == 0);
  REQUIRE(run.out == out);
}

TEST_CASE("podsim replay of a written trace gives the same JSON as podsim run", "[robustness]") {
  const std::string scenario = shell_quote(kGood + "/toy-generate.yaml");
  const std::string from_run = same_output_three_times("run " + scenario + " --json -");
  TempDir dir;
  const std::string trace = shell_quote((dir.path / "trace.json").string());
  REQUIRE(run_podsim("trace " + scenario + " -o " + trace).exit_code == 0);
  const std::string from_replay = same_output_three_times("replay " + trace + " --json -");
  REQUIRE(from_replay == from_run);
}

TEST_CASE("podsim run --perfetto and --html give byte-identical files across runs",
          "[robustness]") {
  const std::string scenario = shell_quote(kGood + "/toy-generate.yaml");
  TempDir dir;
  std::string first_perfetto, first_html;
  for (int i = 0; i < 2; ++i) {
    const std::string perfetto = (dir.path / ("p" + std::to_string(i) + ".json")).string();
    const std::string html = (dir.path / ("h" + std::to_string(i) + ".html")).string();
    const Run run = run_podsim("run " + scenario + " --perfetto " + shell_quote(perfetto) +
                               " --html " + shell_quote(html));
    INFO("stderr: " << run.err);
    REQUIRE(run.exit_code == 0);
    if (i == 0) {
      first_perfetto = read_file(perfetto);
      first_html = read_file(html);
      REQUIRE_FALSE(first_perfetto.empty());
      REQUIRE_FALSE(first_html.empty());
    } else {
      REQUIRE(read_file(perfetto) == first_perfetto);
      REQUIRE(read_file(html) == first_html);
    }
  }
}

TEST_CASE("podsim sweep writes the same CSV with -j 1 and -j 2", "[robustness]") {
  // Points finish in a different order with two processes; the rows must not.
  const std::string sweep = shell_quote(kGood + "/toy-sweep.yaml");
  TempDir dir;
  const std::string one = (dir.path / "one.csv").string();
  const std::string two = (dir.path / "two.csv").string();
  REQUIRE(run_podsim("sweep " + sweep + " -j 1 -o " + shell_quote(one)).exit_code == 0);
  REQUIRE(run_podsim("sweep " + sweep + " -j 2 -o " + shell_quote(two)).exit_code == 0);
  const std::string csv = read_file(one);
  REQUIRE(std::count(csv.begin(), csv.end(), '\n') == 5);  // header + 4 points
  REQUIRE(read_file(two) == csv);
}
