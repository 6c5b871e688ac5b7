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
// generate -> both; mixed -> generate_tokens steps of the batch, the first mixed_steps() of them
// mixed steps (generate_mixed_step) that prefill the prompt chunk by chunk. Requires a validated scenario with its layout decided (config/ validates
// what it loads; explore/layout_search decides `auto`).
Trace generate_trace(const Scenario& scenario);

// Throws InputError at generate_tokens when the decode steps of `scenario`, at `bytes_per_step`
// each, would need more memory than available_memory_bytes() (core/env.hpp), with what they would
// need and the most steps that fit. Does nothing for prefill or when the memory is unknown.
// generate_trace calls it before building a step (issue 14: generate_tokens 2^30 grew by 10 kB
// per step until bad_alloc after 23 s).
void enforce_steps_fit(const Scenario& scenario, double bytes_per_step);

}  // namespace podsim
