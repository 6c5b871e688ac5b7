#pragma once
// The trace generator: Scenario -> Trace, every step of a run (step_generator.hpp) with the
// run's memory plan (memory_plan.hpp). Pure C++.

#include "sim/workload/scenario.hpp"
#include "sim/workload/step_generator.hpp"
#include "sim/workload/trace.hpp"

namespace podsim {

// The whole run: plans memory, refuses a scenario that does not fit (InputError from
// enforce_memory_fits) unless allow_oversubscribe, then emits the steps: prefill -> one step of
// B x input_tokens; decode -> generate_tokens steps of one token with context input_tokens + i;
// generate -> both. Requires a validated scenario with its layout decided (config/ validates
// what it loads; explore/layout_search decides `auto`).
Trace generate_trace(const Scenario& scenario);

}  // namespace podsim
