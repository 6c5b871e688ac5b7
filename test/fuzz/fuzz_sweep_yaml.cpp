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
  // Grids up to the limit of a million points are valid and take 3.8 s and 500 MB to build in a
  // Release build (100 x 100 x 100 values), several times that under ASan: past the fuzzer's
  // -timeout and -rss_limit_mb without being a bug (fault/limits_test covers the limit). A list
  // with c commas or c+1 block items has at most 2^c values, so a grid of C separators in all has
  // at most 2^C points: inputs with more than 14 separators outside comments (16384 points) are
  // skipped; an alias (`*a`) can repeat a list and counts as 8.
  std::size_t separators = 0;
  bool comment = false, line_start = true;
  for (std::size_t i = 0; i < size; ++i) {
    const char c = static_cast<char>(data[i]);
    if (c == '\n' || c == '\r') {
      comment = false;
      line_start = true;
      continue;
    }
    if (c == '#' && (i == 0 || data[i - 1] == ' ' || data[i - 1] == '\t' || line_start))
      comment = true;
    if (!comment) separators += c == ',' || (c == '-' && line_start) ? 1 : c == '*' ? 8 : 0;
    if (c != ' ' && c != '\t') line_start = false;
  }
  if (separators > 14) return 0;
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
