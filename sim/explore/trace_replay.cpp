#include "sim/explore/trace_replay.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "sim/partition/collective.hpp"
#include "sim/core/check.hpp"
#include "sim/core/logging.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/core/input_error.hpp"
#include "sim/core/env.hpp"
#include "sim/core/progress_board.hpp"
#include "sim/replay/replay.hpp"
#include "sim/program/fold.hpp"
#include "sim/program/trace_program.hpp"

namespace podsim {

namespace {

// Lowers `steps` of the trace, in that order, as one program (validates: may throw InputError),
// folded where `mode` allows it and it is exact (fold.hpp).
ReplayPlan lower_steps(const Trace& trace, const Torus& torus,
                       const std::vector<std::size_t>& steps, bool exact, ReplayMode mode,
                       FoldPurpose purpose = FoldPurpose::replay) {
  Trace subset{trace.scenario, trace.memory, {}};
  for (std::size_t i : steps) subset.steps.push_back(trace.steps[i]);
  return plan_trace_replay(subset, torus, exact, mode, purpose);
}

ReplayResult run_plan(const ChipSpec& chip, const Torus& torus, const ReplayPlan& plan,
                      const ReplayOptions& options = {}) {
  return plan.folded ? replay_folded(chip, torus, plan.group, plan.lowered.program, options)
                     : replay(chip, torus, plan.lowered.program, options);
}

// The TraceTiming::replay of runs of which `folded` were folded out of `total`.
std::string replay_of(int folded, int total) {
  return folded == total ? "folded" : folded == 0 ? "per-chip" : "folded and per-chip";
}

// Simulations run side by side on the fast path: set by the command's -j (the machines podsim
// targets have 2 cores, hence the default).
int g_parallel_simulations = 2;

// Simulates `steps` of the trace (in that order, one after another) and returns each one's
// duration followed by the number of transfers simulated and the folded replay's representative
// count (0 when every chip was replayed).
// `exact` lowers every layer; `in_process` runs the simulation here instead of in a child.
std::vector<double> simulate_steps(const Trace& trace, const Torus& torus,
                                   const std::vector<std::size_t>& steps, bool exact,
                                   bool in_process = true) {
  const ReplayPlan plan = lower_steps(trace, torus, steps, exact, process_replay_mode());
  const auto run = [&]() {
    const ReplayResult result = run_plan(trace.scenario.platform.chip, torus, plan);
    std::vector<double> out;
    for (const StepTiming& t : step_timings(plan.lowered, result.mark_s))
      out.push_back(t.duration_s);
    out.push_back(static_cast<double>(result.transfers));
    out.push_back(plan.folded ? plan.group.representative_count() : 0.0);
    return out;
  };
  return in_process ? run() : run_in_child(run);
}

}  // namespace

void set_parallel_simulations(int processes) { g_parallel_simulations = std::max(1, processes); }

int parallel_simulations() { return g_parallel_simulations; }

TraceTiming simulate_trace(const Trace& trace, bool exact) {
  const Torus torus(trace.scenario.shape);
  TraceTiming timing;
  timing.step_s.assign(trace.steps.size(), 0.0);
  if (exact) {
    std::vector<std::size_t> all(trace.steps.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    progress_round({"exact"}, 1);
    const std::vector<double> out = simulate_steps(trace, torus, all, true);
    for (std::size_t i = 0; i < all.size(); ++i) timing.step_s[i] = out[i];
    timing.transfers = static_cast<std::uint64_t>(out[all.size()]);
    timing.replay = replay_of(out.back() > 0 ? 1 : 0, 1);
    timing.representatives = static_cast<int>(out.back());
    timing.simulated_steps = static_cast<int>(all.size());
    timing.path = "exact (every layer of every step simulated)";
    return timing;
  }

  // Validate every collective here: a child process cannot report bad input cleanly.
  for (const StepTrace& step : trace.steps)
    for (const LayerTrace& layer : step.layers)
      for (const Op& op : layer.ops)
        if (op.kind == OpKind::collective)
          validate_collective(op.collective, torus.shape(), std::string(step.phase_label()) + "." + layer.name + "." + op.name);

  // Runs of steps whose time is piecewise linear in their index: the decode steps (one more
  // cached position each) and the mixed steps with a full chunk (one more cached position for the
  // batch, chunk_tokens more for the prompt; the last, shorter chunk is simulated on its own).
  std::vector<std::vector<std::size_t>> runs(2);
  std::map<std::size_t, double> known;  // step index -> simulated duration
  std::vector<std::size_t> round;
  for (std::size_t i = 0; i < trace.steps.size(); ++i) {
    if (trace.steps.phase(i) == Phase::decode)
      runs[0].push_back(i);
    else if (trace.steps.phase(i) == Phase::mixed &&
             trace.steps[i].chunk_tokens == trace.scenario.chunk_tokens)
      runs[1].push_back(i);
    else
      round.push_back(i);
  }
  // Intervals of positions in a run, still to be shown linear: {run, first, last}.
  struct Interval {
    std::size_t run, a, b;
  };
  std::vector<Interval> open;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const std::vector<std::size_t>& run = runs[r];
    if (run.empty()) continue;
    round.push_back(run.front());
    if (run.size() > 1) round.push_back(run.back());
    if (run.size() > 2) {
      open.push_back({r, 0, run.size() - 1});
      round.push_back(run[(run.size() - 1) / 2]);
    }
  }
  int rounds = 0, folded = 0, simulations = 0;
  while (!round.empty()) {
    // The steps of a round are independent simulations: each in its own child process, two at a
    // time (decode steps start from an idle slice; a step's start-up is a few microseconds).
    // Each reports its tasks to its slot of the progress board (core/progress_board), shown by
    // the CLI when progress is; steps of one phase lower the same layers, hence the same tasks.
    std::vector<std::function<std::vector<double>()>> works;
    std::vector<std::string> kinds;
    for (std::size_t k = 0; k < round.size(); ++k) {
      const std::size_t i = round[k];
      kinds.emplace_back(trace.steps.phase_label(i));
      works.push_back([&trace, &torus, i, k]() {
        progress_slot(static_cast<int>(k));
        return simulate_steps(trace, torus, {i}, false);
      });
    }
    progress_round(kinds, g_parallel_simulations);
    const std::vector<std::vector<double>> out = run_in_children(works, g_parallel_simulations);
    for (std::size_t k = 0; k < round.size(); ++k) {
      PODSIM_CHECK(out[k].size() == 3, "a simulation returned {} values", out[k].size());
      known[round[k]] = out[k][0];
      timing.transfers += static_cast<std::uint64_t>(out[k][1]);
      folded += out[k][2] > 0 ? 1 : 0;
      timing.representatives = std::max(timing.representatives, static_cast<int>(out[k][2]));
      ++simulations;
    }
    ++rounds;
    round.clear();
    std::vector<Interval> next;
    for (const Interval& iv : open) {
      const std::vector<std::size_t>& run = runs[iv.run];
      const std::size_t a = iv.a, b = iv.b, m = (a + b) / 2;
      const double ta = known.at(run[a]), tb = known.at(run[b]), tm = known.at(run[m]);
      const double line = ta + (tb - ta) * static_cast<double>(m - a) / static_cast<double>(b - a);
      if (std::abs(tm - line) <= kLinearTolerance * tm) continue;  // linear: interpolate
      for (auto [c, d] : {std::pair{a, m}, std::pair{m, b}})
        if (d - c >= 2) {
          next.push_back({iv.run, c, d});
          round.push_back(run[(c + d) / 2]);
        }
    }
    open = std::move(next);
  }
  // Fill every step: simulated ones as they are, the others on the line between the nearest
  // simulated steps of their run around them.
  for (std::size_t i = 0; i < trace.steps.size(); ++i)
    if (known.contains(i)) timing.step_s[i] = known[i];
  for (const std::vector<std::size_t>& run : runs) {
    std::size_t last = 0;
    for (std::size_t p = 1; p < run.size(); ++p) {
      if (!known.contains(run[p])) continue;
      const double ta = known.at(run[last]), tb = known.at(run[p]);
      for (std::size_t q = last + 1; q < p; ++q)
        timing.step_s[run[q]] =
            ta + (tb - ta) * static_cast<double>(q - last) / static_cast<double>(p - last);
      last = p;
    }
  }
  timing.simulated_steps = static_cast<int>(known.size());
  timing.replay = replay_of(folded, simulations);
  const bool mixed_interpolated = std::any_of(runs[1].begin(), runs[1].end(),
                                              [&](std::size_t i) { return !known.contains(i); });
  timing.path = fmt::format(
      "fast: each repeated layer simulated {} times and the rest extrapolated; {} of {} steps "
      "simulated ({} rounds){}",
      kSampledRepeats, known.size(), trace.steps.size(), rounds,
      known.size() < trace.steps.size()
          ? (mixed_interpolated
                 ? ", the other decode and mixed steps interpolated linearly in their contexts"
                 : ", the other decode steps interpolated linearly in the context")
          : "");
  logger("replay")->info("{}", timing.path);
  return timing;
}

void check_capture_size(const Program& program, const TimelineFilter& filter,
                        long long max_events, bool step_options, const std::string& what) {
  const std::size_t events = estimated_timeline_events(program, filter);
  if (static_cast<long long>(events) <= max_events) return;
  throw InputError(
      "--timeline-max-events",
      fmt::format("the timeline of {} would have about {} events (~{} of Perfetto JSON), above "
                  "the limit of {}: keep fewer chips (--timeline-chips 0-63){}, or raise "
                  "--timeline-max-events",
                  what, events, format_bytes(150.0 * static_cast<double>(events)), max_events,
                  step_options ? ", fewer steps" : ""));
}

namespace {

// Names of the marks of a lowered subset of the trace: what ends at each mark.
std::vector<std::string> section_names(const Trace& trace, const std::vector<std::size_t>& steps,
                                       const LoweredTrace& lowered,
                                       std::vector<std::int32_t>* layer_sections) {
  std::vector<std::string> names(lowered.program.chips[0].marks.size());
  for (std::size_t i = 0; i < lowered.steps.size(); ++i) {
    const StepMarks& sm = lowered.steps[i];
    const StepTrace& step = trace.steps[steps[i]];
    if (sm.start >= 0) names[sm.start] = fmt::format("step {} start", steps[i]);
    for (std::size_t l = 0; l < sm.layers.size(); ++l)
      for (std::size_t r = 0; r < sm.layers[l].ends.size(); ++r) {
        const int m = sm.layers[l].ends[r];
        names[m] = sm.layers[l].repeat > 1
                       ? fmt::format("step {} ({}) {} {}/{}", steps[i], step.phase_label(),
                                     step.layers[l].name, r + 1, sm.layers[l].repeat)
                       : fmt::format("step {} ({}) {}", steps[i], step.phase_label(), step.layers[l].name);
        layer_sections->push_back(m);
      }
  }
  return names;
}

}  // namespace

CapturedRun simulate_with_timeline(const Trace& trace, const TimelineCapture& capture) {
  const bool exact = trace.scenario.exact;
  const Torus torus(trace.scenario.shape);

  // The steps to capture: all (exact), or --timeline-steps, or the first step of each phase.
  std::vector<std::size_t> steps;
  if (!capture.steps.empty()) {
    auto [a, b] = parse_index_range(capture.steps, "--timeline-steps");
    const auto n = static_cast<std::int32_t>(trace.steps.size());
    if (b < 0 || b >= n) b = n - 1;
    if (a >= n)
      throw InputError("--timeline-steps",
                       fmt::format("'{}': the trace has steps 0 to {}", capture.steps, n - 1));
    for (std::int32_t i = a; i <= b; ++i) steps.push_back(static_cast<std::size_t>(i));
  } else {
    for (std::size_t i = 0; i < trace.steps.size(); ++i)
      if (exact || i == 0 || trace.steps.phase_label(i) != trace.steps.phase_label(i - 1))
        steps.push_back(i);
  }
  const bool whole = exact && steps.size() == trace.steps.size();
  // Folded where a strict fold holds (fold.hpp, FoldPurpose::timeline): the representatives are
  // simulated, and their programs and task records expanded to every chip by translation.
  const ReplayPlan plan =
      lower_steps(trace, torus, steps, exact, process_replay_mode(), FoldPurpose::timeline);
  const LoweredTrace& lowered = plan.lowered;
  const Program expanded =
      plan.folded ? expand_folded(lowered.program, torus, plan.group) : Program(0);
  const Program& every_chip = plan.folded ? expanded : lowered.program;
  check_capture_size(every_chip, capture.filter, capture.max_events,
                     !capture.steps.empty() || !capture.layers.empty(), trace.scenario.name);

  // The metrics: from the captured simulation itself when it is the whole exact trace, else from
  // simulate_trace (forked rounds on the fast path; an exact run of its own otherwise).
  CapturedRun run;
  TraceTiming& timing = run.timing;
  if (!whole) {
    if (exact)
      throw InputError("--timeline-steps",
                       "with --exact the timeline is the exact simulation itself: capture every "
                       "step (leave --timeline-steps out) and cut with --timeline-layers");
    timing = simulate_trace(trace, false);
  }
  ReplayOptions options;
  options.record_tasks = true;
  options.record_link_intervals = true;
  progress_round({"timeline"}, 1);
  ReplayResult result = run_plan(trace.scenario.platform.chip, torus, plan, options);
  if (plan.folded) result.tasks = expand_folded_records(result.tasks, torus, plan.group);
  if (whole) {
    timing.step_s.clear();
    for (const StepTiming& t : step_timings(lowered, result.mark_s)) timing.step_s.push_back(t.duration_s);
    timing.transfers = result.transfers;
    timing.replay = replay_of(plan.folded ? 1 : 0, 1);
    timing.representatives = plan.folded ? plan.group.representative_count() : 0;
    timing.simulated_steps = static_cast<int>(steps.size());
    timing.path = "exact (every layer of every step simulated)";
  }

  std::string step_list;
  for (std::size_t i = 0; i < steps.size() && i < 8; ++i)
    step_list += fmt::format("{}{} ({})", i ? ", " : "", steps[i], trace.steps.phase_label(steps[i]));
  if (steps.size() > 8) step_list += fmt::format(", ... ({} steps)", steps.size());
  int sampled = 0, repeats = 0;
  for (const StepMarks& sm : lowered.steps)
    for (const LayerMarks& lm : sm.layers)
      if (lm.repeat > 1) {
        sampled = lm.simulated;
        repeats = lm.repeat;
      }
  const std::string captured = fmt::format(
      "in-process simulation of trace step{} {} of {}{}{}", steps.size() == 1 ? "" : "s", step_list,
      trace.steps.size(),
      whole ? ", every layer (the exact run the metrics come from)"
            : repeats > 0 ? fmt::format(", each repeated layer simulated {} of {} times as on the "
                                        "fast path (the metrics come from the fast path)",
                                        sampled, repeats)
                          : std::string(),
      plan.folded ? fmt::format("; folded replay ({}), expanded to every chip by translation",
                                plan.group.describe())
                  : std::string());
  std::vector<std::int32_t> layer_sections;
  std::vector<std::string> names = section_names(trace, steps, lowered, &layer_sections);
  run.timeline = build_timeline(every_chip, torus, trace.scenario.platform.chip, result, captured,
                            std::move(names));
  if (!capture.layers.empty()) {
    auto [a, b] = parse_index_range(capture.layers, "--timeline-layers");
    const auto n = static_cast<std::int32_t>(layer_sections.size());
    if (a >= n)
      throw InputError("--timeline-layers", fmt::format("'{}': the capture has layer instances 0 "
                                                        "to {}", capture.layers, n - 1));
    if (b < 0 || b >= n) b = n - 1;
    // Sections are mark indices; keep from just after the mark before layer a.
    TimelineFilter layers;
    layers.first_section = a == 0 ? 0 : layer_sections[a - 1] + 1;
    layers.last_section = layer_sections[b];
    apply_filter(run.timeline, layers);
    run.timeline.cuts.back() = fmt::format("kept layer instances {} to {} of the {} captured ({})",
                                        a, b, n, run.timeline.cuts.back());
  }
  return run;
}

}  // namespace podsim
