// A trace with layouts per phase survives its JSON: the per-phase ffn_layout and attention come
// back as written, and so does the transition step (phase "transition", no new tokens).

#include <catch2/catch.hpp>

#include <string>

#include "sim/config/scenario_loader.hpp"
#include "sim/workload/trace_generator.hpp"
#include "sim/workload/trace_json.hpp"

namespace podsim {

TEST_CASE("a per-phase trace with a transition step reads back as it was written") {
  const Scenario s = config::load_scenario(
      std::string(PODSIM_TEST_DIR) + "/inputs/good/toy-phases.yaml", {}, PODSIM_SOURCE_DIR);
  const Trace trace = generate_trace(s);
  const std::string text = trace_to_json(trace);
  const Trace back = trace_from_json(text, "toy-phases.trace.json");
  REQUIRE(back.scenario.per_phase());
  CHECK(phase_scenario(back.scenario, Phase::prefill).attention == AttnSharding::heads);
  CHECK(phase_scenario(back.scenario, Phase::decode).attention == AttnSharding::batch);
  REQUIRE(back.steps.size() == trace.steps.size());
  for (std::size_t i = 0; i < trace.steps.size(); ++i) {
    CHECK(back.steps[i].transition == trace.steps[i].transition);
    CHECK(back.steps[i].phase == trace.steps[i].phase);
    CHECK(back.steps[i].new_tokens == trace.steps[i].new_tokens);
  }
  CHECK(back.steps[1].transition);
  CHECK(trace_to_json(back) == text);
}

}  // namespace podsim
