// A mixed run (test/inputs/good/toy-mixed.yaml, on 4x4x4): the folded replay of its trace must
// give the same step times as the per-chip replay (the reference); its decode-only steps are the
// steps of the same batch in a decode run; a mixed step takes longer than the decode step beside
// it, and the metrics' time to first token is the sum of the steps that prefilled the prompt.

#include <catch2/catch.hpp>

#include <string>

#include "sim/config/scenario_loader.hpp"
#include "sim/explore/trace_replay.hpp"
#include "sim/report/run_metrics.hpp"
#include "sim/workload/trace_generator.hpp"
#include "test/support/both_replays.hpp"

namespace podsim {

namespace {
Scenario load(const std::vector<std::string>& sets = {}) {
  return config::load_scenario(std::string(PODSIM_TEST_DIR) + "/inputs/good/toy-mixed.yaml", sets,
                               PODSIM_SOURCE_DIR);
}
}  // namespace

TEST_CASE("the folded replay of a mixed run matches the per-chip one") {
  for (const char* attention : {"batch", "heads"}) {
    INFO(attention);
    const Trace trace = generate_trace(load({std::string("attention=") + attention}));
    REQUIRE(trace.steps.size() == 6);
    const auto [per_chip, folded] = test::simulate_both_replays(trace);
    test::check_steps_equal(per_chip, folded);
    // Each mixed step does the decode step's work and a chunk's more.
    for (std::size_t i = 0; i < 3; ++i) CHECK(per_chip.step_s[i] > per_chip.step_s[3]);
  }
}

TEST_CASE("a mixed run's decode-only steps are a decode run's steps") {
  const Trace mixed = generate_trace(load());
  // The same batch decoding alone from the same context: its last step (context 21) is the
  // mixed run's last step, both simulated (the fast path simulates the first and last).
  Scenario alone = load();
  alone.phase = Phase::decode;
  alone.prompt_tokens = alone.chunk_tokens = 0;
  validate_scenario(alone);
  const Trace decode = generate_trace(alone);
  REQUIRE(decode.steps.size() == 6);
  const TraceTiming a = simulate_trace(mixed, false), b = simulate_trace(decode, false);
  CHECK(a.step_s[5] == Approx(b.step_s[5]).epsilon(1e-12));
}

TEST_CASE("the fast path interpolates full-chunk mixed steps as the exact run simulates them") {
  // 12 steps of a 168-token prompt in chunks of 16: 10 full chunks, a last one of 8, one decode.
  const Trace trace =
      generate_trace(load({"prompt_tokens=168", "chunk_tokens=16", "generate_tokens=12"}));
  REQUIRE(trace.steps.size() == 12);
  REQUIRE(trace.steps[10].chunk_tokens == 8);
  const TraceTiming fast = simulate_trace(trace, false);
  CHECK(fast.simulated_steps < 12);
  CHECK(fast.path.find("mixed steps interpolated") != std::string::npos);
  const TraceTiming exact = simulate_trace(trace, true);  // every layer of every step
  for (std::size_t i = 0; i < 12; ++i) {
    INFO("step " << i);
    // The fast path's two shortcuts: sampled layers (exact on these repeats) and the linear
    // interpolation, accepted within kLinearTolerance of the line.
    CHECK(fast.step_s[i] == Approx(exact.step_s[i]).epsilon(2 * kLinearTolerance));
  }
}

TEST_CASE("a mixed run's time to first token sums the steps that prefilled the prompt") {
  const Trace trace = generate_trace(load());
  // Step times given here, not simulated: the metrics only add them up.
  const std::vector<Seconds> step_s = {0.010, 0.011, 0.012, 0.005, 0.006, 0.007};
  const RunMetrics m = compute_metrics(trace, step_s, "test");
  CHECK(m.time_to_first_token_s == Approx(0.033));
  CHECK(m.mixed_steps_s.size() == 3);
  CHECK(m.mixed_step_s == Approx(0.011));
  CHECK(m.decode_only_step_s == Approx(0.006));
  CHECK(m.decode_steps_s.size() == 6);  // every step decodes the batch
  CHECK(m.decode_step_s == Approx(0.051 / 6));
  CHECK(m.prefill_s == 0);
  // MFU over every token the run processed: 64 per step and the 40 prompt tokens.
  const double tokens = 64.0 * 6 + 40;
  CHECK(m.mfu == Approx(2.0 * trace.scenario.model.parameters(false) * tokens /
                        (64 * trace.scenario.platform.chip.peak_flops_per_s * 0.051)));
  const nlohmann::json j = metrics_json(trace, m);
  CHECK(j["mixed"]["time_to_first_token_s"].get<double>() == Approx(0.033));
  CHECK(j["mixed"]["mixed_over_decode_only"].get<double>() == Approx(0.011 / 0.006));
  CHECK(j["steps"][0]["phase"] == "mixed");
  CHECK(j["steps"][2]["chunk_tokens"] == 8);
  CHECK(j["steps"][3]["phase"] == "decode");
  const std::string text = metrics_text(trace, m);
  CHECK(text.find("time to first token 33.000 ms") != std::string::npos);
  CHECK(text.find("a mixed step takes 1.833x") != std::string::npos);
}

}  // namespace podsim
