#pragma once
// SimGrid allows one simulation per process: tests that compare simulations run all but the last
// in a forked child (run_in_child).

#include "sim/core/env.hpp"

namespace podsim::test {
using podsim::run_in_child;
inline std::vector<double> run_isolated(const std::function<std::vector<double>()>& f) {
  return run_in_child(f);
}
}  // namespace podsim::test
