// Up-front limits (issue 14, "What was found" 3 and 8): what grows with the input is refused
// before it is built, with what it would need, and special files are refused instead of read
// forever. The ctest timeout of each case is its guard against a hang; the checks are on the exit
// code and the message, computed here from the inputs.

#include <stdlib.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "test/support/podsim_process.hpp"

namespace {

using podsim::test::contains;
using podsim::test::run_podsim;
using podsim::test::shell_quote;

const std::string kGood = std::string(PODSIM_TEST_DIR) + "/inputs/good";
constexpr int kTimeout = 30;

// "[1, 2, ..., n]"
std::string one_to(int n) {
  std::string list = "[";
  for (int i = 1; i <= n; ++i) list += std::to_string(i) + (i < n ? ", " : "]");
  return list;
}

using podsim::test::ScopedEnv;

}  // namespace

TEST_CASE("a sweep grid of 1e9 points is refused before it is built", "[fault]") {
  const podsim::test::TempDir dir;
  const std::string sweep = dir.write(
      "huge.yaml", "name: huge\nbase: " + kGood + "/toy-generate.yaml\ngrid:\n  batch: " +
                       one_to(1000) + "\n  input_tokens: " + one_to(1000) +
                       "\n  generate_tokens: " + one_to(1000) + "\n");
  const podsim::test::Run run =
      run_podsim("sweep " + shell_quote(sweep) + " -o " + shell_quote(dir.file("out.csv")), kTimeout);
  INFO("stderr: " << run.err);
  CHECK(run.exit_code == 2);
  // 1000^3 points, against the limit of a million.
  CHECK(contains(run.err, sweep + ":4:3: grid: 1000 batch x 1000 input_tokens x 1000 "
                                  "generate_tokens values make 1000000000 points, more than the "
                                  "1000000 a sweep may hold"));
  CHECK(!podsim::test::fs::exists(dir.file("out.csv")));
}

TEST_CASE("generate_tokens 2^30 is refused up front with the memory it would need", "[fault]") {
  const ScopedEnv env("PODSIM_MEMORY_AVAILABLE", "8GiB");
  const podsim::test::TempDir dir;
  const std::string scenario = kGood + "/toy-generate.yaml";
  for (const std::string command : {"run", "trace"}) {
    INFO(command);
    const podsim::test::Run run =
        run_podsim(command + " " + shell_quote(scenario) + " --set generate_tokens=1073741824" +
                       (command == "trace" ? " -o " + shell_quote(dir.file("t.json")) : ""),
                   kTimeout);
    INFO("stderr: " << run.err);
    CHECK(run.exit_code == 2);
    // 2^30 steps of 256 B (trace_generator.cpp) are 256 GiB; 8 GiB hold 8 GiB / 256 B = 2^25
    // steps.
    CHECK(contains(run.err, "generate_tokens: 1073741824 decode steps need about 256.0 GiB of "
                            "memory (256 B per step), more than the 8.0 GiB available; generate "
                            "at most 33554432 tokens\n"));
    CHECK(!podsim::test::fs::exists(dir.file("t.json")));
  }
}

TEST_CASE("a FIFO given as the scenario or the model is refused, not waited on", "[fault]") {
  const podsim::test::TempDir dir;
  const std::string fifo = dir.file("fifo.yaml");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const podsim::test::Run as_scenario = run_podsim("run " + shell_quote(fifo), kTimeout);
  INFO("stderr: " << as_scenario.err);
  CHECK(as_scenario.exit_code == 2);
  CHECK(contains(as_scenario.err, fifo + ": file: is not a regular file"));
  const podsim::test::Run as_model = run_podsim(
      "run " + shell_quote(kGood + "/toy-prefill.yaml") + " --set model=" + shell_quote(fifo),
      kTimeout);
  INFO("stderr: " << as_model.err);
  CHECK(as_model.exit_code == 2);
  CHECK(contains(as_model.err, "is not a regular file"));
}

TEST_CASE("podsim pareto /dev/zero ends with a clear error", "[fault]") {
  const podsim::test::Run run = run_podsim("pareto /dev/zero", kTimeout);
  INFO("stderr: " << run.err);
  CHECK(run.exit_code == 2);
  CHECK(run.err == "/dev/zero: file: is not a regular file (a device, FIFO or socket); give a "
                   ".csv file\n");
}

TEST_CASE("a sweep whose CSV is /dev/full is refused before it simulates", "[fault]") {
  const podsim::test::Run run =
      run_podsim("sweep " + shell_quote(kGood + "/toy-sweep.yaml") + " -o /dev/full", kTimeout);
  INFO("stderr: " << run.err);
  CHECK(run.exit_code == 2);
  CHECK(run.err == "/dev/full: -o: is not a regular file; a sweep's CSV is read back to resume, "
                   "so give a file\n");
}

TEST_CASE("a --set value that is not UTF-8 is refused before simulating, naming the flag",
          "[fault]") {
  // caf\xe9 is "café" in Latin-1; JSON output must be UTF-8.
  const podsim::test::Run run = run_podsim(
      "run " + shell_quote(kGood + "/toy-prefill.yaml") + " --json - --set " +
          shell_quote("name=caf\xe9"),
      kTimeout);
  INFO("stderr: " << run.err);
  CHECK(run.exit_code == 2);
  CHECK(run.out.empty());
  CHECK(run.err == "--set name=caf\\xe9: name: byte 0xe9 is not UTF-8 text; give the value in "
                   "UTF-8\n");
}

// `ulimit -v` (RLIMIT_AS) of 100 MB: podsim, SimGrid and their libraries map about 50 MB before
// main(), and PaLM 540B decode on 4x4x4 replayed per chip needs a few hundred MB (its estimate in
// program/task_budget.hpp; folded, it now runs in less). It ended in SimGrid CRITICAL lines and "internal error"; now the
// limit counts as available memory (refused up front), and an allocation that fails anyway is one
// line and exit 2. ASan reserves terabytes of address space, so these run in normal builds only.
TEST_CASE("an address-space limit ends in one clean line and exit 2", "[fault]") {
#ifdef PODSIM_SANITIZE
  WARN("skipped under ASan, which cannot run under ulimit -v");
#else
  const std::string podsim = shell_quote(PODSIM_BINARY);
  const std::string scenario =
      shell_quote(std::string(PODSIM_TEST_DIR) + "/../scenarios/t2-low-latency-decode.yaml");
  SECTION("refused up front by the memory estimate") {
    const podsim::test::Run run = podsim::test::run_command(
        "ulimit -v 100000; timeout -k 5 60 " + podsim + " run " + scenario + " --replay per-chip");
    INFO("stderr: " << run.err);
    CHECK(run.exit_code == 2);
    CHECK(contains(run.err, "t2-low-latency-decode.yaml: memory: palm-540b low-latency decode "
                            "(paper Table 2) on 4x4x4 would need about "));
    CHECK(run.err.find('\n') == run.err.size() - 1);
  }
  SECTION("an allocation failure past the estimate, in the process and in a forked child") {
    // PODSIM_MEMORY_AVAILABLE overrides the estimate's view of memory, so the run starts and an
    // allocation fails: --exact simulates in this process (SimGrid actors), the fast path in
    // forked children.
    const ScopedEnv env("PODSIM_MEMORY_AVAILABLE", "1TiB");
    for (const std::string flags : {" --exact", ""}) {
      INFO("flags:" << flags);
      const podsim::test::Run run = podsim::test::run_command(
          "ulimit -v 80000; timeout -k 5 60 " + podsim + " run " + scenario + flags +
          " --replay per-chip");
      INFO("stderr: " << run.err);
      CHECK(run.exit_code == 2);
      // 80000 KiB = 78.1 MiB (a fast-path step per chip fits in 100 MB since the merge of the
      // folded replay's memoisation and issue 13's loops).
      CHECK(run.err == "memory: podsim ran out of memory under the address-space limit of 78.1 MiB "
                       "(ulimit -v 80000); raise the limit or simulate a smaller scenario\n");
    }
  }
#endif
}

// SimGrid gives every actor a stack of its own (kActorStackKiB, mapped but barely touched), which
// an address-space limit counts. The folded all-to-all over xyz on 8x8x8 creates a sink actor
// for each of the 511 chips the representative sends to; under `ulimit -v 100000` its resident
// estimate fitted and SimGrid aborted with "Failed to allocate stack" and a backtrace (exit 134).
TEST_CASE("actor stacks count against an address-space limit, refused up front with the limit "
          "that would do",
          "[fault]") {
#ifdef PODSIM_SANITIZE
  WARN("skipped under ASan, which cannot run under ulimit -v");
#else
  const std::string podsim = shell_quote(PODSIM_BINARY);
  const std::string collective = " collective --shape 8x8x8 --op all-to-all --bytes 1MiB";
  const podsim::test::Run run = podsim::test::run_command(
      "ulimit -v 100000; timeout -k 5 60 " + podsim + collective);
  INFO("stderr: " << run.err);
  CHECK(run.exit_code == 2);
  CHECK(contains(run.err, "memory: all-to-all over xyz on 8x8x8 would need about "));
  // The representative and its 511 sinks.
  CHECK(contains(run.err, " for 512 SimGrid actor stacks, "));
  CHECK(contains(run.err, "more than the address-space limit of 97.66 MiB (ulimit -v 100000); "
                          "raise it (ulimit -v "));
  CHECK(contains(run.err, " would do), or simulate fewer steps or layers"));
  CHECK(run.err.find('\n') == run.err.size() - 1);
  // The limit it names is enough: the stacks alone are 512 x 140 KiB = 71680 KiB.
  const std::string marker = "raise it (ulimit -v ";
  const std::size_t at = run.err.find(marker);
  REQUIRE(at != std::string::npos);
  const long long suggested = std::stoll(run.err.substr(at + marker.size()));
  CHECK(suggested > 71680);
  const podsim::test::Run enough = podsim::test::run_command(
      "ulimit -v " + std::to_string(suggested) + "; timeout -k 5 60 " + podsim + collective);
  INFO("stderr at the suggested limit: " << enough.err);
  CHECK(enough.exit_code == 0);
#endif
}

// Past the estimate (PODSIM_MEMORY_AVAILABLE overrides it), SimGrid's own allocations fail in C
// (xbt_malloc, the actors' stacks): xbt_assert logs a CRITICAL line, prints a backtrace and
// aborts. The hook on its log appender (replay/xbt_memory.hpp) ends them in podsim's line
// instead, in this process (collective) and in a forked child of the fast path (run).
TEST_CASE("SimGrid's own allocation failures end in one clean line and exit 2", "[fault]") {
#ifdef PODSIM_SANITIZE
  WARN("skipped under ASan, which cannot run under ulimit -v");
#else
  const ScopedEnv env("PODSIM_MEMORY_AVAILABLE", "1TiB");
  const std::string podsim = shell_quote(PODSIM_BINARY);
  const std::string scenario =
      shell_quote(std::string(PODSIM_TEST_DIR) + "/../scenarios/t2-low-latency-decode.yaml");
  for (const auto& [limit, args] : std::vector<std::pair<std::string, std::string>>{
           {"100000", "collective --shape 8x8x8 --op all-to-all --bytes 1MiB"},
           {"70000", "run " + scenario + " --replay per-chip"}}) {
    INFO("ulimit -v " << limit << ": " << args);
    const podsim::test::Run run = podsim::test::run_command(
        "ulimit -v " + limit + "; timeout -k 5 60 " + podsim + " " + args);
    INFO("stderr: " << run.err);
    CHECK(run.exit_code == 2);
    CHECK(run.err.rfind("memory: podsim ran out of memory under the address-space limit of ", 0) ==
          0);
    CHECK(run.err.find('\n') == run.err.size() - 1);
  }
#endif
}

// Below about 55 MB podsim cannot start: the dynamic loader fails to map a library (exit 127,
// before any of podsim's code), or the static initialisers of ns-3 (which Debian's SimGrid links)
// throw std::bad_alloc before main(), which printed "terminate called after throwing an instance
// of 'std::bad_alloc'" and aborted (exit 134). Now that is the one line and exit 2.
TEST_CASE("an address-space limit too small to start podsim never aborts", "[fault]") {
#ifdef PODSIM_SANITIZE
  WARN("skipped under ASan, which cannot run under ulimit -v");
#else
  const std::string podsim = shell_quote(PODSIM_BINARY);
  int clean = 0;
  for (int limit = 44000; limit <= 60000; limit += 2000) {
    INFO("ulimit -v " << limit);
    const podsim::test::Run run = podsim::test::run_command(
        "ulimit -v " + std::to_string(limit) + "; timeout -k 5 60 " + podsim + " --version");
    INFO("stderr: " << run.err);
    CHECK((run.exit_code == 0 || run.exit_code == 2 || run.exit_code == 127));
    if (run.exit_code == 2) {
      ++clean;
      CHECK(run.err == "memory: podsim ran out of memory under the address-space limit of " +
                           fmt::format("{:.1f}", limit / 1024.0) + " MiB (ulimit -v " +
                           std::to_string(limit) +
                           "); raise the limit or simulate a smaller scenario\n");
    }
  }
  WARN(clean << " of the limits ended in the clean out-of-memory line");
#endif
}

// A run keeps its memory bounded in the number of decode steps (trace.hpp, TraceSteps): before,
// every decode step's ops stayed in memory, ~10 kB per step (140 MB peak at 10000 steps on this
// scenario, 37 MB at 100). Now only a few doubles per step remain.
TEST_CASE("a run's peak memory barely grows with generate_tokens", "[fault]") {
#ifdef PODSIM_SANITIZE
  WARN("skipped under ASan, whose allocator changes peak memory");
#else
  const auto peak_kib = [](long long steps) {
    const podsim::test::Run run = podsim::test::run_command(
        "/usr/bin/time -f 'peak %M' " + shell_quote(PODSIM_BINARY) + " run " +
        shell_quote(kGood + "/toy-generate.yaml") +
        " --set generate_tokens=" + std::to_string(steps) + " > /dev/null");
    INFO("stderr: " << run.err);
    REQUIRE(run.exit_code == 0);
    const std::size_t at = run.err.rfind("peak ");
    REQUIRE(at != std::string::npos);
    return std::stoll(run.err.substr(at + 5));
  };
  const long long few = peak_kib(100);
  const long long many = peak_kib(20000);
  INFO("peak RSS: " << few << " KiB at 100 steps, " << many << " KiB at 20000");
  // 19900 more steps at ~10 kB each were 190 MB more; 8 MiB allows ~400 bytes per step.
  CHECK(many - few < 8 * 1024);
#endif
}

TEST_CASE("/dev/stdin on an open pipe is refused as the scenario or the model, not read",
          "[fault]") {
  // `sleep 3` holds the pipe open: a read would block until it exits and then find an empty file
  // ("is empty"); the refusal names the file as not regular instead.
  const std::string podsim = "timeout -k 5 30 " + shell_quote(PODSIM_BINARY);
  const podsim::test::Run as_scenario =
      podsim::test::run_command("sleep 3 | " + podsim + " run /dev/stdin");
  INFO("stderr: " << as_scenario.err);
  CHECK(as_scenario.exit_code == 2);
  CHECK(as_scenario.err ==
        "/dev/stdin: file: is not a regular file (a device, FIFO or socket); give a .yaml file\n");
  const podsim::test::Run as_model = podsim::test::run_command(
      "sleep 3 | " + podsim + " run " + shell_quote(kGood + "/toy-prefill.yaml") +
      " --set model=/dev/stdin");
  INFO("stderr: " << as_model.err);
  CHECK(as_model.exit_code == 2);
  CHECK(as_model.err == "--set model=/dev/stdin: model: is not a regular file (a device, FIFO or "
                        "socket); give a .yaml file (/dev/stdin)\n");
}

TEST_CASE("podsim trace with a --set value that is not UTF-8 leaves no output file", "[fault]") {
  const podsim::test::TempDir dir;
  const podsim::test::Run run =
      run_podsim("trace " + shell_quote(kGood + "/toy-prefill.yaml") + " -o " +
                     shell_quote(dir.file("t.json")) + " --set " + shell_quote("name=caf\xe9"),
                 kTimeout);
  INFO("stderr: " << run.err);
  CHECK(run.exit_code == 2);
  CHECK(run.err == "--set name=caf\\xe9: name: byte 0xe9 is not UTF-8 text; give the value in "
                   "UTF-8\n");
  CHECK(podsim::test::fs::is_empty(dir.path));
}
