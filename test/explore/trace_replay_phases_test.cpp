// A generate run with layouts per phase whose KV cache moves between the phases
// (test/inputs/good/toy-phases.yaml, on 4x4x4): the folded replay of its trace, transition
// included, must give the same step times as the per-chip replay (the reference), and the
// transition must take at least what its all-to-all needs on the links.

#include <catch2/catch.hpp>

#include <string>

#include "sim/config/scenario_loader.hpp"
#include "sim/explore/trace_replay.hpp"
#include "sim/program/fold.hpp"
#include "sim/workload/trace_generator.hpp"
#include "test/support/both_replays.hpp"

namespace podsim {

TEST_CASE("the folded replay of a per-phase run with a KV all-to-all matches the per-chip one") {
  const Scenario s = config::load_scenario(
      std::string(PODSIM_TEST_DIR) + "/inputs/good/toy-phases.yaml", {}, PODSIM_SOURCE_DIR);
  const Trace trace = generate_trace(s);
  REQUIRE(trace.steps.size() == 6);
  REQUIRE(trace.steps[1].transition);
  // The fast path: each simulation in a child process (the exact path runs one engine in this
  // process, so only once); the transition step is simulated on its own, never interpolated.
  const auto [per_chip, folded] = test::simulate_both_replays(trace);
  test::check_steps_equal(per_chip, folded);
  // Lower bound: per layer, each chip sends 63/64 of its 64 KiB cache share over its 6 links.
  const double per_layer = 2.0 * 16 * 64 * 16 * 2;  // 1 sequence x 16 positions x 64 heads x 16 x K,V x 2 B
  const double bound = 2 * per_layer * 63 / 64 / (6 * s.platform.chip.ici_link_bytes_per_s);
  CHECK(per_chip.step_s[1] > bound);
}

}  // namespace podsim
