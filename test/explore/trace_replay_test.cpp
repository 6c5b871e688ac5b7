// End-to-end runs (scenario -> trace -> SimGrid replay -> metrics) against independent
// references: the exact simulation for the fast path, rooflines written out from the model's
// published sizes (platforms/README.md §1, §2), and byte-for-byte reproducibility.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/config/scenario_loader.hpp"
#include "sim/explore/trace_replay.hpp"
#include "sim/report/run_metrics.hpp"
#include "sim/workload/trace_generator.hpp"

namespace podsim {
namespace {

const std::string kRoot = std::string(PODSIM_TEST_DIR) + "/..";

Trace trace_of(const std::string& scenario, const std::vector<std::string>& overrides = {}) {
  return generate_trace(config::load_scenario(scenario, overrides));
}

void check_fast_matches_exact(const Trace& trace) {
  const TraceTiming fast = simulate_trace(trace, false);  // forks its own simulation processes
  CHECK(fast.simulated_steps < static_cast<int>(trace.steps.size()));
  const TraceTiming exact = simulate_trace(trace, true);  // this process's one simulation
  REQUIRE(fast.step_s.size() == exact.step_s.size());
  double fast_total = 0, exact_total = 0;
  for (std::size_t i = 0; i < exact.step_s.size(); ++i) {
    CHECK(fast.step_s[i] == Approx(exact.step_s[i]).epsilon(1e-3));
    fast_total += fast.step_s[i];
    exact_total += exact.step_s[i];
  }
  CHECK(fast_total == Approx(exact_total).epsilon(1e-3));
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("the fast path agrees with the exact simulation on a deep toy model") {
  check_fast_matches_exact(trace_of(std::string(PODSIM_TEST_DIR) + "/inputs/good/toy-deep-generate.yaml"));
}

TEST_CASE("the fast path agrees with the exact simulation on PaLM 8B on 8 chips") {
  check_fast_matches_exact(trace_of(kRoot + "/scenarios/palm-8b-8chips.yaml"));
}

TEST_CASE("a decode step takes at least its weight-load and compute rooflines") {
  // Table 2 low-latency decode: PaLM 540B, int8 weights (1 byte per parameter), 64 chips, batch 64.
  const Trace trace =
      trace_of(kRoot + "/scenarios/t2-low-latency-decode.yaml", {"generate_tokens=1"});
  const TraceTiming timing = simulate_trace(trace, false);
  REQUIRE(timing.step_s.size() == 1);
  const double parameters = 540.35e9;  // platforms/README.md §2: about 540.3B unpadded
  const double weight_load_s = parameters * 1.0 / 64 / 1.2e12;
  const double compute_s = 2 * parameters * 64 / 64 / 275e12;
  CHECK(timing.step_s[0] >= std::max(weight_load_s, compute_s));
}

TEST_CASE("a prefill at batch 512 on ws-2d is compute-dominated") {
  const Trace trace = trace_of(kRoot + "/scenarios/t2-high-throughput-prefill.yaml",
                               {"ffn_layout=ws-2d", "allow_oversubscribe=true"});
  const TraceTiming timing = simulate_trace(trace, false);
  const RunMetrics m = compute_metrics(trace, timing.step_s, timing.path);
  // The matmuls alone: 2 N B L / (chips x peak) (platforms/README.md §2), most of the simulated
  // time.
  const double matmul_s = 2 * 540.35e9 * 512 * 2048 / (64 * 275e12);
  CHECK(m.prefill_s >= matmul_s);
  CHECK(m.breakdown.compute_s > m.breakdown.weight_load_s + m.breakdown.kv_load_s +
                                    m.breakdown.exposed_comm_s + m.breakdown.other_s);
}

TEST_CASE("the same scenario gives byte-identical JSON twice") {
  const std::string out = "run_determinism_" + std::to_string(::getpid());
  const std::string cmd = std::string(PODSIM_BINARY) + " run " + kRoot +
                          "/scenarios/palm-8b-8chips.yaml --json ";
  REQUIRE(std::system((cmd + out + "_a.json > /dev/null").c_str()) == 0);
  REQUIRE(std::system((cmd + out + "_b.json > /dev/null").c_str()) == 0);
  const std::string a = slurp(out + "_a.json"), b = slurp(out + "_b.json");
  CHECK(!a.empty());
  CHECK(a == b);
  std::remove((out + "_a.json").c_str());
  std::remove((out + "_b.json").c_str());
}

}  // namespace podsim

namespace podsim {

TEST_CASE("a trace written by podsim trace and edited by hand replays") {
  const std::string base = "run_trace_" + std::to_string(::getpid());
  const std::string scenario = kRoot + "/scenarios/palm-8b-8chips.yaml";
  const std::string podsim = PODSIM_BINARY;
  REQUIRE(std::system((podsim + " trace " + scenario + " -o " + base + ".json").c_str()) == 0);
  REQUIRE(std::system((podsim + " run " + scenario + " --json " + base + "_run.json > /dev/null").c_str()) == 0);
  REQUIRE(std::system((podsim + " replay " + base + ".json --json " + base + "_replay.json > /dev/null").c_str()) == 0);
  const auto number = [](const std::string& json, const std::string& key) {
    const auto at = json.find("\"" + key + "\": ");
    REQUIRE(at != std::string::npos);
    return std::stod(json.substr(at + key.size() + 4));
  };
  const std::string run = slurp(base + "_run.json"), replayed = slurp(base + "_replay.json");
  CHECK(number(replayed, "total_s") == Approx(number(run, "total_s")).epsilon(1e-12));
  // By hand: double the transformer layers of every step (PaLM 8B has 32); the run then takes
  // well over 1.5 times as long, the transformer layers being most of it.
  std::string trace = slurp(base + ".json");
  std::size_t edits = 0;
  for (std::size_t at = trace.find("\"repeat\": 32"); at != std::string::npos;
       at = trace.find("\"repeat\": 32", at + 1), ++edits)
    trace.replace(at, 12, "\"repeat\": 64");
  REQUIRE(edits > 0);
  { std::ofstream(base + "_edited.json") << trace; }
  REQUIRE(std::system((podsim + " replay " + base + "_edited.json --json " + base + "_edited_out.json > /dev/null").c_str()) == 0);
  CHECK(number(slurp(base + "_edited_out.json"), "total_s") > 1.5 * number(run, "total_s"));
  for (const char* suffix : {".json", "_run.json", "_replay.json", "_edited.json", "_edited_out.json"})
    std::remove((base + suffix).c_str());
}

}  // namespace podsim
