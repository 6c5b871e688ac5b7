#include "sim/workload/trace_generator.hpp"

#include <fmt/format.h>

#include "sim/core/check.hpp"
#include "sim/core/env.hpp"
#include "sim/core/logging.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/workload/memory_plan.hpp"

namespace podsim {

namespace {

// Memory of one decode step in `podsim run`: the step's ops with their names, equations and
// shapes, and what the lowering and the reports keep per step. Measured with /usr/bin/time -v on
// the toy generate scenario: 55.5 MB peak at 2000 decode steps, 234 MB at 20000, so 9.9 kB per
// step; rounded up so that the estimate errs high.
constexpr double kTraceBytesPerStep = 16 * 1024;

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
                  format_bytes_in(bytes_per_step, ByteUnit::KiB, decimals(0)),
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
  if (scenario.phase != Phase::decode)
    trace.steps.push_back(generate_step(prefill, Phase::prefill, scenario.input_tokens, 0));
  if (scenario.phase == Phase::generate)
    if (std::optional<StepTrace> move = transition_step(scenario))
      trace.steps.push_back(std::move(*move));
  if (scenario.phase != Phase::prefill)
    for (long long i = 0; i < scenario.generate_tokens; ++i)
      trace.steps.push_back(generate_step(decode, Phase::decode, 1, scenario.input_tokens + i));
  return trace;
}

}  // namespace podsim
