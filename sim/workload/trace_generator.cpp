#include "sim/workload/trace_generator.hpp"

#include "sim/core/check.hpp"
#include "sim/core/logging.hpp"
#include "sim/workload/memory_plan.hpp"

namespace podsim {

Trace generate_trace(const Scenario& scenario) {
  PODSIM_CHECK(!scenario.ffn_layout_auto, "generate_trace needs a decided layout (choose_layout)");
  Trace trace;
  trace.scenario = scenario;
  trace.memory = plan_memory(scenario);
  enforce_memory_fits(scenario, trace.memory);
  if (!trace.memory.fits)
    logger("workload")->warn("{}", memory_refusal_message(scenario, trace.memory));
  if (scenario.phase != Phase::decode)
    trace.steps.push_back(generate_step(scenario, Phase::prefill, scenario.input_tokens, 0));
  if (scenario.phase != Phase::prefill)
    for (long long i = 0; i < scenario.generate_tokens; ++i)
      trace.steps.push_back(generate_step(scenario, Phase::decode, 1, scenario.input_tokens + i));
  return trace;
}

}  // namespace podsim
