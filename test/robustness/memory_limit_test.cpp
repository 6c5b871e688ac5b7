// Limits (issue 7, item 8): the refusal as a user sees it (exit 2, one line saying what would be
// needed). The estimate itself is tested against real lowerings in test/program/task_budget_test.cpp.

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <string>

#include "sim/program/algorithms.hpp"
#include "sim/config/scenario_loader.hpp"
#include "sim/program/task_budget.hpp"
#include "sim/program/trace_program.hpp"
#include "sim/workload/trace_generator.hpp"
#include "test/support/podsim_process.hpp"

namespace {

using namespace podsim;
using podsim::test::run_podsim;
using podsim::test::shell_quote;

const std::string kGood = std::string(PODSIM_TEST_DIR) + "/inputs/good";

using podsim::test::ScopedEnv;

}  // namespace

TEST_CASE("podsim run refuses a simulation larger than the available memory with what it needs",
          "[robustness]") {
  const ScopedEnv env("PODSIM_MEMORY_AVAILABLE", "1MiB");
  const std::string scenario = kGood + "/toy-generate.yaml";
  const test::Run run = run_podsim("run " + shell_quote(scenario));
  INFO("stderr: " << run.err);
  CHECK(run.exit_code == 2);
  CHECK(run.out.empty());
  CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
  CHECK(run.err.find("memory: toy generate on 8 chips on 2x2x2 would need about") !=
        std::string::npos);
  CHECK(run.err.find("but this machine has 0.0 GiB available") != std::string::npos);
}

TEST_CASE("podsim collective refuses a collective larger than the available memory",
          "[robustness]") {
  const ScopedEnv env("PODSIM_MEMORY_AVAILABLE", "1MiB");
  const test::Run run = run_podsim("collective --shape 4x4x4 --op all-to-all --axes xyz");
  INFO("stderr: " << run.err);
  CHECK(run.exit_code == 2);
  CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
  CHECK(run.err.rfind("memory: all-to-all over xyz on 4x4x4 would need about", 0) == 0);
}

TEST_CASE("a full-pod per-chip all-to-all is refused up front on a machine of ordinary size",
          "[robustness]") {
  // 4096 chips each sending to 4095 others: about 3.4e7 tasks, some 47 GiB at the measured cost.
  const ScopedEnv env("PODSIM_MEMORY_AVAILABLE", "8GiB");
  const test::Run run = run_podsim(
      "collective --shape 16x16x16 --op all-to-all --axes xyz --bytes 64MiB --replay per-chip", 20);
  INFO("stderr: " << run.err);
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("would need about") != std::string::npos);
}

TEST_CASE("a full-pod all-to-all runs folded on a machine of ordinary size", "[robustness]") {
  // The folded replay simulates one representative: 4095 sends and 4095 receives.
  const ScopedEnv env("PODSIM_MEMORY_AVAILABLE", "1GiB");
  const test::Run run = run_podsim(
      "collective --shape 16x16x16 --op all-to-all --axes xyz --bytes 64MiB --json -", 120);
  INFO("stderr: " << run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.out.find("\"replay\": \"folded\"") != std::string::npos);
}

TEST_CASE("a full-pod exact per-chip decode step with looped einsums is refused up front",
          "[robustness]") {
  // MT-NLG 530B, batch 4096, ws-2d on 16x16x16: each Looped CollectiveEinsum goes round a ring
  // of 256 chips (y z), 6 tasks per step and direction on 4096 chips, in each of 105 layers:
  // about 1e10 tasks. Estimating it must not lower it (that alone once took over 23 GiB).
  const ScopedEnv env("PODSIM_MEMORY_AVAILABLE", "16GiB");
  const test::Run run = run_podsim(
      "run " + shell_quote(std::string(PODSIM_TEST_DIR) + "/../scenarios/t2-high-throughput-decode.yaml") +
          " --set model=mt-nlg-530b --set batch=4096 --set topology=16x16x16"
          " --set generate_tokens=1 --set attention=batch --exact --replay per-chip",
      30);
  INFO("stderr: " << run.err);
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("would need about") != std::string::npos);
}

TEST_CASE("a small run is not refused", "[robustness]") {
  const ScopedEnv env("PODSIM_MEMORY_AVAILABLE", "1GiB");
  const test::Run run = run_podsim("run " + shell_quote(kGood + "/toy-prefill.yaml"));
  INFO("stderr: " << run.err);
  CHECK(run.exit_code == 0);
}
