#include "sim/replay/trace_replay.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "sim/core/check.hpp"
#include "sim/core/logging.hpp"
#include "sim/core/subprocess.hpp"
#include "sim/replay/replay.hpp"
#include "sim/replay/trace_program.hpp"

namespace podsim {

namespace {

// Simulates `steps` of the trace (in that order, one after another) and returns each one's
// duration followed by the number of transfers simulated.
std::vector<double> simulate_steps(const Trace& trace, const Torus& torus,
                                   const std::vector<std::size_t>& steps, bool exact) {
  Trace subset{trace.scenario, trace.memory, {}};
  for (std::size_t i : steps) subset.steps.push_back(trace.steps[i]);
  const LoweredTrace lowered = lower_trace(subset, torus, exact);  // validates: may throw
  const auto run = [&]() {
    const ReplayResult result = replay(trace.scenario.platform.chip, torus, lowered.program);
    std::vector<double> out;
    for (const StepTiming& t : step_timings(lowered, result.mark_s)) out.push_back(t.duration_s);
    out.push_back(static_cast<double>(result.transfers));
    return out;
  };
  return exact ? run() : run_in_child(run);
}

}  // namespace

TraceTiming simulate_trace(const Trace& trace, bool exact) {
  const Torus torus(trace.scenario.shape);
  TraceTiming timing;
  timing.step_s.assign(trace.steps.size(), 0.0);
  if (exact) {
    std::vector<std::size_t> all(trace.steps.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    const std::vector<double> out = simulate_steps(trace, torus, all, true);
    for (std::size_t i = 0; i < all.size(); ++i) timing.step_s[i] = out[i];
    timing.transfers = static_cast<std::uint64_t>(out.back());
    timing.simulated_steps = static_cast<int>(all.size());
    timing.path = "exact (every layer of every step simulated)";
    return timing;
  }

  std::vector<std::size_t> decode;
  std::map<std::size_t, double> known;  // step index -> simulated duration
  std::vector<std::size_t> round;
  for (std::size_t i = 0; i < trace.steps.size(); ++i) {
    if (trace.steps[i].phase == "decode")
      decode.push_back(i);
    else
      round.push_back(i);
  }
  // Intervals of positions in `decode`, still to be shown linear.
  std::vector<std::pair<std::size_t, std::size_t>> open;
  if (!decode.empty()) {
    round.push_back(decode.front());
    if (decode.size() > 1) round.push_back(decode.back());
    if (decode.size() > 2) {
      open.emplace_back(0, decode.size() - 1);
      round.push_back(decode[(decode.size() - 1) / 2]);
    }
  }
  int rounds = 0;
  while (!round.empty()) {
    const std::vector<double> out = simulate_steps(trace, torus, round, false);
    PODSIM_CHECK(out.size() == round.size() + 1, "a simulation round returned {} values", out.size());
    for (std::size_t k = 0; k < round.size(); ++k) known[round[k]] = out[k];
    timing.transfers += static_cast<std::uint64_t>(out.back());
    ++rounds;
    round.clear();
    std::vector<std::pair<std::size_t, std::size_t>> next;
    for (auto [a, b] : open) {
      const std::size_t m = (a + b) / 2;
      const double ta = known.at(decode[a]), tb = known.at(decode[b]), tm = known.at(decode[m]);
      const double line = ta + (tb - ta) * static_cast<double>(m - a) / static_cast<double>(b - a);
      if (std::abs(tm - line) <= kLinearTolerance * tm) continue;  // linear: interpolate
      for (auto [c, d] : {std::pair{a, m}, std::pair{m, b}})
        if (d - c >= 2) {
          next.emplace_back(c, d);
          round.push_back(decode[(c + d) / 2]);
        }
    }
    open = std::move(next);
  }
  // Fill every step: simulated ones as they are, the others on the line between the nearest
  // simulated decode steps around them.
  for (std::size_t i = 0; i < trace.steps.size(); ++i)
    if (known.contains(i)) timing.step_s[i] = known[i];
  std::size_t last = 0;
  for (std::size_t p = 1; p < decode.size(); ++p) {
    if (!known.contains(decode[p])) continue;
    const double ta = known.at(decode[last]), tb = known.at(decode[p]);
    for (std::size_t q = last + 1; q < p; ++q)
      timing.step_s[decode[q]] =
          ta + (tb - ta) * static_cast<double>(q - last) / static_cast<double>(p - last);
    last = p;
  }
  timing.simulated_steps = static_cast<int>(known.size());
  timing.path = fmt::format(
      "fast: each repeated layer simulated {} times and the rest extrapolated; {} of {} steps "
      "simulated ({} rounds), the other decode steps interpolated linearly in the context",
      kSampledRepeats, known.size(), trace.steps.size(), rounds);
  logger("replay")->info("{}", timing.path);
  return timing;
}

}  // namespace podsim
