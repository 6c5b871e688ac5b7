#include "sim/workload/trace_generator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "sim/core/check.hpp"
#include "sim/core/env.hpp"
#include "sim/core/logging.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/workload/memory_plan.hpp"

namespace podsim {

namespace {

// Memory of one decode step in `podsim run`: what the replay and the reports keep per step (its
// time, its breakdown, its index on the fast path); the step itself is made on demand
// (TraceSteps). Measured with /usr/bin/time -v on the toy generate scenario: 36.1 MB peak at 100
// decode steps, 47.2 MB at 100000, so 111 bytes per step (it was 9.9 kB while every step was
// stored: 140 MB at 10000); rounded up so that the estimate errs high.
constexpr double kTraceBytesPerStep = 256;

}  // namespace

void enforce_steps_fit(const Scenario& s, double bytes_per_step) {
  if (s.phase == Phase::prefill) return;
  const std::optional<double> available = available_memory_bytes();
  const double need = static_cast<double>(s.generate_tokens) * bytes_per_step;
  if (!available || need <= *available) return;
  throw InputError(
      s.location_of("generate_tokens"), "generate_tokens",
      fmt::format("{} decode steps need about {} of memory ({} per step), more than the {} "
                  "available; generate at most {} tokens",
                  s.generate_tokens, format_bytes_in(need, ByteUnit::GiB, decimals(1)),
                  format_bytes(bytes_per_step),
                  format_bytes_in(*available, ByteUnit::GiB, decimals(1)),
                  static_cast<long long>(*available / bytes_per_step)));
}

Trace generate_trace(const Scenario& scenario) {
  PODSIM_CHECK(!scenario.layout_undecided(), "generate_trace needs a decided layout (choose_layout)");
  Trace trace;
  enforce_steps_fit(scenario, kTraceBytesPerStep);
  trace.scenario = scenario;
  trace.memory = plan_memory(scenario);
  enforce_memory_fits(scenario, trace.memory);
  if (!trace.memory.fits)
    logger("workload")->warn("{}", memory_refusal_message(scenario, trace.memory));
  // Per phase: the prefill with its layout, the KV cache's move (if any), the decode steps with
  // theirs. The weights stay where they are (validate_scenario: both layouts store them alike).
  const Scenario prefill = phase_scenario(scenario, Phase::prefill);
  const Scenario decode = phase_scenario(scenario, Phase::decode);
  if (scenario.phase == Phase::prefill || scenario.phase == Phase::generate)
    trace.steps.push_back(generate_step(prefill, Phase::prefill, scenario.input_tokens, 0));
  if (scenario.phase == Phase::generate)
    if (std::optional<StepTrace> move = transition_step(scenario))
      trace.steps.push_back(std::move(*move));
  // Mixed: the first mixed_steps() decode steps each carry the prompt's next chunk (stored, at
  // most prompt_tokens of them); the rest are decode steps of the batch alone.
  const long long mixed = scenario.mixed_steps();
  for (long long i = 0; i < mixed; ++i) {
    const long long done = i * scenario.chunk_tokens;
    trace.steps.push_back(generate_mixed_step(scenario, scenario.input_tokens + i,
                                              std::min(scenario.chunk_tokens,
                                                       scenario.prompt_tokens - done),
                                              done));
  }
  if (scenario.phase != Phase::prefill && scenario.generate_tokens > mixed) {
    // Made on demand (TraceSteps): the memory of a run does not grow with generate_tokens.
    auto shared = std::make_shared<const Scenario>(decode);
    trace.steps.append_made(scenario.generate_tokens - mixed, Phase::decode,
                            [shared, mixed](long long i) {
                              return generate_step(*shared, Phase::decode, 1,
                                                   shared->input_tokens + mixed + i);
                            });
  }
  return trace;
}

}  // namespace podsim
