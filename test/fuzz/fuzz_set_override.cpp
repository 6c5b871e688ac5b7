// libFuzzer target: `--set key=value` overrides (one per line of the input, at most 16) applied
// to a valid scenario (test/inputs/good/toy-generate.yaml) with the repository's platforms/ and
// workloads/, then the memory plan of what the loader accepts and, for runs of a few steps with
// a decided layout, the trace. Bad input must end in InputError; anything else is a bug.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/config/scenario_loader.hpp"
#include "sim/core/input_error.hpp"
#include "sim/workload/memory_plan.hpp"
#include "sim/workload/trace_generator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string kBase = std::string(PODSIM_SOURCE_DIR) + "/test/inputs/good/toy-generate.yaml";
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> overrides;
  for (std::size_t start = 0; start < text.size() && overrides.size() < 16;) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    overrides.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  try {
    const podsim::Scenario scenario =
        podsim::config::load_scenario(kBase, overrides, PODSIM_SOURCE_DIR);
    const podsim::MemoryPlan plan = podsim::plan_memory(scenario);
    podsim::enforce_memory_fits(scenario, plan);
    // The trace of a short run (the limit keeps each input fast; long runs are refused up front
    // or take time linear in their steps, which fault/limits_test covers).
    if (!scenario.ffn_layout_auto && (plan.fits || scenario.allow_oversubscribe) &&
        scenario.generate_tokens <= 8 && scenario.input_tokens <= 4096 && scenario.batch <= 4096) {
      // Decode steps are made on demand (TraceSteps): make each one.
      const podsim::Trace trace = podsim::generate_trace(scenario);
      for (const podsim::StepTrace& step : trace.steps) (void)step.layers.size();
    }
  } catch (const podsim::InputError&) {
  }
  return 0;
}
