// A small simulated case with residual batch axes (issue 12 item 4): a toy model whose d_model
// (272 = 16 x 17) does not divide over the 64 chips of 4x4x4 (a torus, so the fold applies), so
// ws-2d splits the batch of the residual stream over z and the embedding table V_zE_xy. The folded replay of its trace must
// give the same step times as the per-chip replay (the reference), and the step must take at
// least the time its collectives need on the links.

#include <catch2/catch.hpp>

#include <string>

#include "sim/config/scenario_loader.hpp"
#include "sim/explore/trace_replay.hpp"
#include "sim/program/fold.hpp"
#include "sim/workload/trace_generator.hpp"
#include "test/support/both_replays.hpp"

namespace podsim {

TEST_CASE("a toy whose d_model does not divide over 4x4x4 simulates with residual batch axes") {
  Scenario s = config::load_scenario(std::string(PODSIM_TEST_DIR) + "/inputs/good/toy-prefill.yaml",
                                     {"collective_einsum=off", "topology=4x4x4"});
  s.model.d_model = 272;
  validate_scenario(s);
  REQUIRE(scenario_sharding(s).residual_batch == parse_axes("z", "test"));
  const Trace trace = generate_trace(s);
  // The fast path: each simulation in a child process (the exact path runs one engine in this
  // process, so only once).
  const auto [per_chip, folded] = test::simulate_both_replays(trace);
  REQUIRE(per_chip.step_s.size() == 1);
  REQUIRE(folded.step_s.size() == 1);
  CHECK(folded.replay == "folded");
  CHECK(folded.step_s[0] == Approx(per_chip.step_s[0]).epsilon(1e-12));
  // Lower bound: the embedding's reduce-scatter over z (4 chips) sends 3/4 of its B L E / 16
  // elements (batch 8, 16 tokens, 2 B each) over the two link directions of z at the peak.
  const double rs_bytes = 8.0 * 16 * (272 / 16) * 2 * 3 / 4 / 2;
  CHECK(per_chip.step_s[0] > rs_bytes / s.platform.chip.ici_link_bytes_per_s);
}

}  // namespace podsim
