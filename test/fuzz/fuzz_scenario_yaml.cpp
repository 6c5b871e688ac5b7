// libFuzzer target: the scenario loader (scenarios/*.yaml) with the repository's platforms/ and
// workloads/, then the memory plan of what it accepts. Bad input must end in InputError;
// anything else is a bug.

#include <cstddef>
#include <cstdint>

#include "test/fuzz/fuzz_input_file.hpp"
#include "sim/config/scenario_loader.hpp"
#include "sim/core/input_error.hpp"
#include "sim/workload/memory_plan.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = podsim::fuzz::write_input(data, size, "scenario.yaml");
  try {
    const podsim::Scenario scenario = podsim::config::load_scenario(path, {}, PODSIM_SOURCE_DIR);
    podsim::enforce_memory_fits(scenario, podsim::plan_memory(scenario));
  } catch (const podsim::InputError&) {
  }
  return 0;
}
