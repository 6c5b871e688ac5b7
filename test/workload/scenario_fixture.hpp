#pragma once
// Scenarios for the workload tests: the repository's scenario files with --set overrides.

#include <string>
#include <vector>

#include "sim/config/scenario_loader.hpp"
#include "sim/workload/scenario.hpp"

namespace podsim::test {

inline Scenario scenario(const std::string& file, const std::vector<std::string>& sets = {}) {
  return config::load_scenario(std::string(PODSIM_SOURCE_DIR) + "/scenarios/" + file, sets,
                               PODSIM_SOURCE_DIR);
}

// Per-chip bytes one chip sends in a collective of per-chip size D over K chips: (K-1)/K of D
// for all-gather / reduce-scatter / all-to-all, twice that for all-reduce (platforms/README.md §3).
inline double sent_fraction(CollectiveKind kind, double k) {
  return (kind == CollectiveKind::all_reduce ? 2.0 : 1.0) * (k - 1) / k;
}

}  // namespace podsim::test
