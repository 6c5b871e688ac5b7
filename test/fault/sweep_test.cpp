// Concurrent and killed sweeps (issue 14, "What was found" 7): a second sweep on the same CSV is
// refused while the first completes; SIGKILL of a sweep's parent leaves no simulation running and
// no temporary directory. Driven through /bin/sh so that the processes are real and independent.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "test/support/podsim_process.hpp"

namespace {

using podsim::test::contains;
using podsim::test::run_command;
using podsim::test::shell_quote;

const std::string kGood = std::string(PODSIM_TEST_DIR) + "/inputs/good";

// A sweep of 8 toy points, long enough at -j 1 to be caught running.
std::string write_sweep(const podsim::test::TempDir& dir) {
  return dir.write("sweep.yaml", "name: eight\nbase: " + kGood +
                                     "/toy-generate.yaml\ngrid:\n  ffn_layout: [ws-1d, ws-2d]\n"
                                     "  batch: [8, 16, 32, 64]\n");
}

int count_lines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

}  // namespace

TEST_CASE("two sweeps on one CSV: the second is refused, the first completes", "[fault]") {
  const podsim::test::TempDir dir;
  const std::string sweep = write_sweep(dir);
  const std::string csv = dir.file("out.csv");
  const std::string podsim = "timeout -k 5 120 " + shell_quote(PODSIM_BINARY);
  const std::string script =
      podsim + " sweep " + shell_quote(sweep) + " -o " + shell_quote(csv) +
      " -j 1 2>/dev/null & first=$!\n"
      "i=0; while [ ! -e " + shell_quote(csv + ".lock") + " ] && [ $i -lt 200 ]; do sleep 0.05; "
      "i=$((i+1)); done\n" +
      podsim + " sweep " + shell_quote(sweep) + " -o " + shell_quote(csv) + " -j 1; echo second=$?\n"
      "wait $first; echo first=$?\n";
  const podsim::test::Run run = run_command(script);
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  CHECK(contains(run.out, "second=2\n"));
  CHECK(contains(run.out, "first=0\n"));
  CHECK(contains(run.err, csv + ": -o: another podsim sweep (pid "));
  CHECK(contains(run.err, "is writing this file (lock " + csv + ".lock); wait for it to finish or "
                          "give another -o\n"));
  // The header and the 8 points, and the lock is gone.
  CHECK(count_lines(podsim::test::read_file(csv)) == 1 + 8);
  CHECK(!podsim::test::fs::exists(csv + ".lock"));
}

TEST_CASE("SIGKILL of a sweep's parent leaves no simulation and no temporary directory",
          "[fault]") {
  const podsim::test::TempDir dir;
  const std::string sweep = write_sweep(dir);
  const std::string tmp = dir.file("tmp");
  podsim::test::fs::create_directory(tmp);
  // Children are found by the parent pid spawn_process puts in their environment.
  const std::string children = "grep -lzx \"PODSIM_PARENT_PID=$p\" /proc/[0-9]*/environ 2>/dev/null";
  const std::string script =
      "export TMPDIR=" + shell_quote(tmp) + "\n" + shell_quote(PODSIM_BINARY) + " sweep " +
      shell_quote(sweep) + " -o " + shell_quote(dir.file("out.csv")) +
      " -j 2 2>/dev/null & p=$!\n"
      "i=0; while [ -z \"$(" + children + ")\" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); "
      "done\n"
      "echo running=$(" + children + " | wc -l)\n"
      "kill -9 $p; wait $p 2>/dev/null\n"
      "i=0; while { [ -n \"$(" + children + ")\" ] || [ -n \"$(ls -A " + shell_quote(tmp) +
      ")\" ]; } && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done\n"
      "echo left=$(" + children + " | wc -l)\n"
      "echo tmp=$(ls -A " + shell_quote(tmp) + " | wc -l)\n";
  const podsim::test::Run run = run_command("timeout -k 5 60 sh -c " + shell_quote(script));
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  CHECK(!contains(run.out, "running=0\n"));  // the kill came while simulations ran
  CHECK(contains(run.out, "left=0\n"));
  CHECK(contains(run.out, "tmp=0\n"));
}

namespace {

// A toy prefill scenario with `batch: 0` (invalid: a batch is at least 1) on line 5, column 8.
std::string write_bad_base(const podsim::test::TempDir& dir) {
  return dir.write("base.yaml",
                   "name: toy prefill with batch 0\nplatform: tpu-v4\ntopology: 2x2x2\nmodel: toy\n"
                   "batch: 0\nphase: prefill\ninput_tokens: 16\nffn_layout: ws-2d\n");
}

}  // namespace

TEST_CASE("a sweep whose base no grid point repairs is refused before it writes or simulates",
          "[fault]") {
  const podsim::test::TempDir dir;
  const std::string base = write_bad_base(dir);
  const std::string sweep =
      dir.write("sweep.yaml", "name: bad base\nbase: base.yaml\ngrid:\n  ffn_layout: [ws-1d, "
                              "ws-2d]\n");
  const std::string csv = dir.file("out.csv");
  for (const std::string& extra :
       std::vector<std::string>{"", " --emit-jobs " + shell_quote(dir.file("jobs.txt"))}) {
    INFO(extra);
    const podsim::test::Run run = podsim::test::run_podsim(
        "sweep " + shell_quote(sweep) + " -o " + shell_quote(csv) + extra, 30);
    INFO("stderr: " << run.err);
    CHECK(run.exit_code == 2);
    CHECK(run.out.empty());
    // The base's own line: the key, its position in base.yaml and what would be right.
    CHECK(run.err == base + ":5:8: batch: must be at least 1, not 0\n");
    CHECK(!podsim::test::fs::exists(csv));
    CHECK(!podsim::test::fs::exists(csv + ".lock"));
    CHECK(!podsim::test::fs::exists(dir.file("jobs.txt")));
  }
}

TEST_CASE("a sweep of 40000 points over a bad base is refused in seconds, not minutes",
          "[fault]") {
  // Each point's load takes about a millisecond: the base check tries at most 1000 of them.
  const podsim::test::TempDir dir;
  const std::string base = write_bad_base(dir);
  std::string values = "[";
  for (int i = 1; i <= 200; ++i) values += std::to_string(i) + (i < 200 ? ", " : "]");
  const std::string sweep = dir.write("sweep.yaml", "name: big\nbase: base.yaml\ngrid:\n  "
                                                    "input_tokens: " + values +
                                                        "\n  generate_tokens: " + values + "\n");
  const podsim::test::Run run = podsim::test::run_podsim(
      "sweep " + shell_quote(sweep) + " -o " + shell_quote(dir.file("out.csv")), 20);
  INFO("stderr: " << run.err);
  CHECK(run.exit_code == 2);
  CHECK(run.err == base + ":5:8: batch: must be at least 1, not 0\n");
}

TEST_CASE("a sweep whose grid or set replaces the base's bad value runs, bad points as rows",
          "[fault]") {
  const podsim::test::TempDir dir;
  write_bad_base(dir);
  SECTION("the grid varies the bad key: batch 0 is an invalid row, batch 8 is simulated") {
    const std::string sweep =
        dir.write("sweep.yaml", "name: grid repairs\nbase: base.yaml\ngrid:\n  batch: [0, 8]\n");
    const podsim::test::Run run = podsim::test::run_podsim(
        "sweep " + shell_quote(sweep) + " -j 1 -o " + shell_quote(dir.file("out.csv")), 120);
    INFO("stderr: " << run.err);
    CHECK(run.exit_code == 0);
    const std::string csv = podsim::test::read_file(dir.file("out.csv"));
    CHECK(contains(csv, "\n1,batch=0,invalid,"));
    CHECK(contains(csv, "\n2,batch=8,ok,"));
  }
  SECTION("set replaces the bad key for every point") {
    const std::string sweep = dir.write(
        "sweep.yaml",
        "name: set repairs\nbase: base.yaml\nset:\n  batch: 8\ngrid:\n  ffn_layout: [ws-2d]\n");
    const podsim::test::Run run = podsim::test::run_podsim(
        "sweep " + shell_quote(sweep) + " -j 1 -o " + shell_quote(dir.file("out.csv")), 120);
    INFO("stderr: " << run.err);
    CHECK(run.exit_code == 0);
    CHECK(contains(podsim::test::read_file(dir.file("out.csv")), "\n1,ffn_layout=ws-2d,ok,"));
  }
}

namespace {

// The rows of a sweep CSV, the header first; every line must end with a newline.
std::vector<std::string> csv_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end = text.find('\n'); end != std::string::npos; end = text.find('\n', start)) {
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  CHECK(start == text.size());  // no torn last line
  return lines;
}

}  // namespace

// A disk that fills up during a sweep, made with a file size limit (`ulimit -f`, SIGXFSZ
// ignored: write() fails with EFBIG past it), as in output_file_test.cpp.
TEST_CASE("a sweep whose CSV fills the disk stops at once with the reason and whole rows",
          "[fault]") {
  const podsim::test::TempDir dir;
  // 16 toy points: a row is about 480 bytes, so 5 KiB hold the header and about 9 rows, while the
  // JSON of one point (about 4.3 kB) still fits.
  const std::string sweep = dir.write(
      "sweep.yaml", "name: sixteen\nbase: " + kGood +
                        "/toy-generate.yaml\ngrid:\n  ffn_layout: [ws-1d, ws-2d]\n"
                        "  batch: [8, 16, 24, 32, 40, 48, 56, 64]\n");
  const std::string csv = dir.file("out.csv");
  const std::string command = "timeout -k 5 120 " + shell_quote(PODSIM_BINARY) + " sweep " +
                              shell_quote(sweep) + " -o " + shell_quote(csv) + " -j 2";
  const podsim::test::Run full = run_command("trap '' XFSZ; ulimit -f 5; " + command);
  INFO("stderr: " << full.err);
  CHECK(full.exit_code == 2);
  CHECK(contains(full.err, csv + ": -o: cannot write: File too large\n"));
  CHECK(full.err.substr(full.err.rfind('\n', full.err.size() - 2) + 1) ==
        csv + ": -o: cannot write: File too large\n");
  // Whole rows only: the failed write was cut back, and fewer than 16 rows got in.
  const std::vector<std::string> before = csv_lines(podsim::test::read_file(csv));
  CHECK(before.size() > 1);
  CHECK(before.size() < 1 + 16);
  // The same command without the limit resumes and completes every point.
  const podsim::test::Run resumed = run_command(command);
  INFO("resumed stderr: " << resumed.err);
  CHECK(resumed.exit_code == 0);
  const std::vector<std::string> after = csv_lines(podsim::test::read_file(csv));
  REQUIRE(after.size() == 1 + 16);
  for (std::size_t i = 1; i < after.size(); ++i) CHECK(contains(after[i], ",ok,"));
}

TEST_CASE("a point whose simulation cannot write its result is failed, and rerun on resume",
          "[fault]") {
  const podsim::test::TempDir dir;
  const std::string sweep = dir.write(
      "sweep.yaml", "name: two\nbase: " + kGood + "/toy-generate.yaml\ngrid:\n  batch: [8, 16]\n");
  const std::string csv = dir.file("out.csv");
  const std::string command = "timeout -k 5 120 " + shell_quote(PODSIM_BINARY) + " sweep " +
                              shell_quote(sweep) + " -o " + shell_quote(csv) + " -j 1";
  // 2 KiB: the CSV's header and two rows fit, a point's JSON (about 4.3 kB) does not. It was
  // recorded `invalid` (the child's exit 2) and never rerun.
  const podsim::test::Run full = run_command("trap '' XFSZ; ulimit -f 2; " + command);
  INFO("stderr: " << full.err);
  CHECK(full.exit_code == 0);
  const std::vector<std::string> rows = csv_lines(podsim::test::read_file(csv));
  REQUIRE(rows.size() == 3);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    CHECK(contains(rows[i], ",failed,"));
    CHECK(contains(rows[i], ".json: --json: cannot write: File too large"));
  }
  const podsim::test::Run resumed = run_command(command);
  INFO("resumed stderr: " << resumed.err);
  CHECK(resumed.exit_code == 0);
  // Both points are run again (no "points already done" line: none was kept).
  CHECK(!contains(resumed.err, "already done"));
  const std::vector<std::string> after = csv_lines(podsim::test::read_file(csv));
  REQUIRE(after.size() == 3);
  for (std::size_t i = 1; i < after.size(); ++i) CHECK(contains(after[i], ",ok,"));
}
