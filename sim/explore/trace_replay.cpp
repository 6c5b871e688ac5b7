#include "sim/explore/trace_replay.hpp"

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <map>

#include "sim/partition/collective.hpp"
#include "sim/core/check.hpp"
#include "sim/core/logging.hpp"
#include "sim/core/env.hpp"
#include "sim/replay/replay.hpp"
#include "sim/program/trace_program.hpp"

namespace podsim {

namespace {

// Simulations run side by side on the fast path (the machines podsim targets have 2 cores).
constexpr int kParallelSteps = 2;

// Simulates `steps` of the trace (in that order, one after another) and returns each one's
// duration followed by the number of transfers simulated.
// `exact` lowers every layer; `in_process` runs the simulation here instead of in a child.
std::vector<double> simulate_steps(const Trace& trace, const Torus& torus,
                                   const std::vector<std::size_t>& steps, bool exact,
                                   bool in_process = true) {
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
  return in_process ? run() : run_in_child(run);
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

  // Validate every collective here: a child process cannot report bad input cleanly.
  for (const StepTrace& step : trace.steps)
    for (const LayerTrace& layer : step.layers)
      for (const Op& op : layer.ops)
        if (op.kind == OpKind::collective)
          validate_collective(op.collective, torus.shape(), std::string(phase_name(step.phase)) + "." + layer.name + "." + op.name);

  std::vector<std::size_t> decode;
  std::map<std::size_t, double> known;  // step index -> simulated duration
  std::vector<std::size_t> round;
  for (std::size_t i = 0; i < trace.steps.size(); ++i) {
    if (trace.steps[i].phase == Phase::decode)
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
    // The steps of a round are independent simulations: each in its own child process, two at a
    // time (decode steps start from an idle slice; a step's start-up is a few microseconds).
    std::vector<std::function<std::vector<double>()>> works;
    for (std::size_t i : round)
      works.push_back([&trace, &torus, i]() { return simulate_steps(trace, torus, {i}, false); });
    const std::vector<std::vector<double>> out = run_in_children(works, kParallelSteps);
    for (std::size_t k = 0; k < round.size(); ++k) {
      PODSIM_CHECK(out[k].size() == 2, "a simulation returned {} values", out[k].size());
      known[round[k]] = out[k][0];
      timing.transfers += static_cast<std::uint64_t>(out[k][1]);
    }
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
