// The headline numbers of a run (run_metrics.hpp) from step times chosen here, against the
// formulas of the design card (§6): MFU = 2 x parameters x tokens / (chips x peak x time), with the
// matmul FLOPs of the unpadded model; cost = chips x time / tokens; a decode step is one token per
// sequence, a prefill step batch x input_tokens tokens.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sim/config/scenario_loader.hpp"
#include "sim/report/run_metrics.hpp"
#include "sim/workload/trace_generator.hpp"

namespace podsim {

TEST_CASE("MFU, latency and cost of a generate run follow the design card's formulas") {
  const Scenario scenario =
      config::load_scenario(std::string(PODSIM_TEST_DIR) + "/inputs/good/toy-generate.yaml");
  const Trace trace = generate_trace(scenario);
  // The toy scenario: batch 8, 16 prompt tokens, 4 generated, 8 chips; one prefill step, then one
  // decode step per generated token.
  REQUIRE(trace.steps.size() == 5u);
  const std::vector<Seconds> steps{2e-3, 1e-4, 2e-4, 3e-4, 4e-4};
  const RunMetrics m = compute_metrics(trace, steps, "exact");
  CHECK(m.prefill_s == Approx(2e-3));
  CHECK(m.decode_s == Approx(1e-3));
  CHECK(m.decode_step_s == Approx(2.5e-4));
  CHECK(m.total_s == Approx(3e-3));
  CHECK(m.decode_steps_s.size() == 4u);

  const double n = scenario.model.parameters(false);
  const double peak = scenario.platform.chip.peak_flops_per_s;
  const double chips = 8, prefill_tokens = 8 * 16, decode_tokens = 8 * 4;
  CHECK(m.prefill_mfu == Approx(2 * n * prefill_tokens / (chips * peak * 2e-3)));
  CHECK(m.decode_mfu == Approx(2 * n * decode_tokens / (chips * peak * 1e-3)));
  CHECK(m.mfu == Approx(2 * n * (prefill_tokens + decode_tokens) / (chips * peak * 3e-3)));
  CHECK(m.cost_chip_s_per_token == Approx(chips * 3e-3 / (prefill_tokens + decode_tokens)));
  CHECK(m.path == "exact");
}

}  // namespace podsim

namespace podsim {

TEST_CASE("the report header follows --set model= chips= and phase=") {
  // What the header must say is written out from the overrides themselves, not from the code.
  const std::string file = std::string(PODSIM_TEST_DIR) + "/../scenarios/t2-low-latency-decode.yaml";
  const Scenario s = config::load_scenario(
      file, {"model=palm-62b", "chips=16", "phase=prefill", "ffn_layout=ws-1d", "attention=heads"});
  const std::string header = scenario_summary(s);
  INFO(header);
  CHECK(header.starts_with("palm-62b, prefill on 2x4x2 (16 chips): batch 64, 2048 input tokens;"));
  CHECK(header.find("ws-1d, heads-sharded attention, int8 weights") != std::string::npos);
  CHECK(header.find("palm-540b") == std::string::npos);
}

TEST_CASE("chips given by --set replaces the topology and topology given by --set the chip count") {
  const std::string file = std::string(PODSIM_TEST_DIR) + "/../scenarios/t2-low-latency-decode.yaml";
  CHECK(config::load_scenario(file, {"chips=16", "batch=16"}).shape.name() == "2x4x2");
  const std::string eight = std::string(PODSIM_TEST_DIR) + "/../scenarios/palm-8b-8chips.yaml";
  CHECK(config::load_scenario(eight, {"topology=2x2x1"}).chips() == 4);
  // Both by --set must still agree.
  CHECK_THROWS_WITH(config::load_scenario(file, {"chips=16", "topology=4x4x4"}),
                    Catch::Contains("does not match topology"));
}

}  // namespace podsim
