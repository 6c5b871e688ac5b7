// TraceSteps: a generated trace's decode steps are made on demand (issue 14: memory bounded in the
// number of decode steps). The reference is generate_step called directly for each step, as
// generate_trace stored them before.
#include <catch2/catch.hpp>

#include "sim/workload/step_generator.hpp"
#include "sim/workload/trace_generator.hpp"
#include "sim/workload/trace_json.hpp"
#include "test/workload/scenario_fixture.hpp"

using namespace podsim;
using podsim::test::scenario;

TEST_CASE("a generated trace's decode steps are the steps generate_step makes") {
  const Scenario s = scenario("palm-8b-8chips.yaml", {"generate_tokens=5", "input_tokens=64"});
  const Trace t = generate_trace(s);
  REQUIRE(t.steps.size() == 6u);
  std::vector<StepTrace> expected{generate_step(s, Phase::prefill, 64, 0)};
  for (long long i = 0; i < 5; ++i) expected.push_back(generate_step(s, Phase::decode, 1, 64 + i));
  std::size_t n = 0;
  for (const StepTrace& step : t.steps) {
    INFO("step " << n);
    const StepTrace& want = expected[n];
    CHECK(t.steps.phase(n) == want.phase);
    CHECK(step.phase == want.phase);
    CHECK(step.context == want.context);
    CHECK(step.new_tokens == want.new_tokens);
    CHECK(step.batch == want.batch);
    CHECK(step.layers.size() == want.layers.size());
    ++n;
  }
  CHECK(n == expected.size());
  // The same ops and numbers: the trace JSON (every field of every op of every step) is the same.
  CHECK(trace_to_json(t) == trace_to_json(Trace{t.scenario, t.memory, expected}));
  CHECK(t.steps.back().context == 68);
  CHECK(t.steps.front().phase == Phase::prefill);
}

TEST_CASE("trace steps keep stored and made steps apart under resize and to_vector") {
  const Scenario s = scenario("palm-8b-8chips.yaml", {"generate_tokens=4"});
  Trace t = generate_trace(s);
  REQUIRE(t.steps.size() == 5u);
  t.steps.resize(3);  // the prefill and two made steps
  REQUIRE(t.steps.size() == 3u);
  const std::vector<StepTrace> all = t.steps.to_vector();
  REQUIRE(all.size() == 3u);
  CHECK(all[0].phase == Phase::prefill);
  CHECK(all[2].context == s.input_tokens + 1);
  t.steps.resize(1);
  CHECK(t.steps.size() == 1u);
  CHECK(t.steps.phase(0) == Phase::prefill);
  // Stored steps take appends again once the made ones are gone.
  t.steps.push_back(all[1]);
  CHECK(t.steps.size() == 2u);
  CHECK(t.steps[1].context == s.input_tokens);
}
