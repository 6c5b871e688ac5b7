// libFuzzer target: the sweep loader (scenarios/sweeps/*.yaml), with the valid scenarios of
// test/inputs/good/ beside the fuzzed file as bases, then what `podsim sweep` does before it
// simulates: the base check (config::check_sweep_base) and the `--set` overrides of the first
// points, loaded as the point runner loads them. Bad input must end in InputError; anything else
// is a bug.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "test/fuzz/fuzz_input_file.hpp"
#include "sim/config/scenario_loader.hpp"
#include "sim/config/sweep_loader.hpp"
#include "sim/core/input_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fs = std::filesystem;
  const std::string path = podsim::fuzz::write_input(data, size, "sweep.yaml");
  // Once per process: the good scenarios next to the sweep file (`base: toy-generate.yaml`).
  static const bool copied = [&path] {
    const fs::path good = fs::path(PODSIM_SOURCE_DIR) / "test/inputs/good";
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(good, ec))
      if (entry.path().extension() == ".yaml")
        fs::copy_file(entry.path(), fs::path(path).parent_path() / entry.path().filename(),
                      fs::copy_options::overwrite_existing, ec);
    return true;
  }();
  (void)copied;
  try {
    const podsim::config::SweepSpec spec = podsim::config::load_sweep(path);
    // The first points only: a grid may hold a million (kMaxSweepPoints), and each load reads
    // files; the base check stops at the first point that loads.
    const std::size_t n = std::min<std::size_t>(spec.points.size(), 4);
    std::vector<std::size_t> first;
    for (std::size_t i = 1; i <= n; ++i) first.push_back(i);
    podsim::config::check_sweep_base(spec, first);
    for (std::size_t i = 0; i < n; ++i) {
      (void)spec.points[i].id();
      (void)spec.requested(i, "batch");
      try {
        (void)podsim::config::load_scenario(spec.base_scenario, spec.overrides(i));
      } catch (const podsim::InputError&) {
        // an invalid point: a row with its reason
      }
    }
  } catch (const podsim::InputError&) {
  }
  return 0;
}
