#include "sim/program/task_budget.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "sim/core/env.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/program/algorithms.hpp"
#include "sim/program/fold.hpp"
#include "sim/program/trace_program.hpp"

namespace podsim {

namespace {

// Per chip, an upper bound on the tasks of a ring collective (algorithms.cpp): per phase, stream
// and step at most a send and a receive, plus the addition of a reduction, and the phase's join.
double per_chip_ring_tasks(const CollectiveSpec& spec, const TorusShape& shape) {
  double tasks = 0;
  const auto parts = ring_collective_parts(spec, shape);
  for (const auto& phases : parts)
    for (const RingPhase& phase : phases) {
      const double k = shape.size(phase.axis);
      const RingAlgorithm algorithm = effective_algorithm(spec.algorithm, shape, phase.axis);
      const double streams = algorithm == RingAlgorithm::ring ? 1 : 2;
      tasks += streams * (k - 1) * (phase.reduce ? 3 : 2) + 1;
    }
  if (parts.size() > 1) tasks += 1;  // the join of the parts
  return tasks;
}

double base_bytes(const TorusShape& shape) {
  return static_cast<double>(kReplayBaseBytes) + kReplayBytesPerChip * shape.chip_count();
}

// Per chip and simulated layer instance: the join that marks its end.
constexpr double kTasksPerMark = 1;
// Upper bound on the tasks per ring step and direction of a Looped CollectiveEinsum.
constexpr double kLoopTasksPerStep = 7;
// Layers whose collectives alone would exceed this many tasks are not lowered to be counted: the
// analytic bound of their collectives stands for them (it refuses them on any real machine).
constexpr double kMaxTasksToLower = 2e7;

// Tasks and bytes of one instance of `layer`, without the base: counted on a lowering of that
// instance alone (so the estimate follows trace_program.cpp, chip-model delays and Looped
// CollectiveEinsum included), all-to-all tasks at their own measured cost.
MemoryNeed layer_need(const Trace& trace, const Torus& torus, const LayerTrace& layer) {
  const TorusShape& shape = torus.shape();
  MemoryNeed bound;
  const bool looped = trace.scenario.collective_einsum == CollectiveEinsum::looped;
  for (const Op& op : layer.ops)
    if (op.kind == OpKind::collective && looped && !op.looped_with.empty()) {
      // A Looped CollectiveEinsum goes round one ring through every chip of its axes
      // (looped_einsum.cpp): per step and direction a send, a receive, a reduction and a chunk
      // (join, MXU, HBM, join), far more than the plain collective's ring phases.
      double group = 1;
      for (Axis a : op.collective.axes.axes()) group *= shape.size(a);
      const double tasks = shape.chip_count() * (2 * (group - 1) * kLoopTasksPerStep + 4);
      bound.tasks += tasks;
      bound.bytes += tasks * kReplayBytesPerTask;
    } else if (op.kind == OpKind::collective) {
      const MemoryNeed c = collective_memory_need(op.collective, shape);
      bound.tasks += c.tasks;
      bound.bytes += c.bytes - base_bytes(shape);
    } else {  // delay, compute, HBM, join
      bound.tasks += 4.0 * shape.chip_count();
      bound.bytes += 4.0 * shape.chip_count() * kReplayBytesPerTask;
    }
  if (bound.tasks > kMaxTasksToLower) return bound;
  Program program(torus.chip_count());
  std::vector<std::int32_t> labels;
  for (const Op& op : layer.ops) labels.push_back(program.add_label(op.name));
  Frontier frontier(torus.chip_count(), kNoTask);
  lower_layer(program, torus, trace.scenario, layer, labels, frontier);
  MemoryNeed need;
  for (const ChipProgram& chip : program.chips)
    for (const Task& task : chip.tasks) {
      const bool all_to_all =
          task.label >= 0 && static_cast<std::size_t>(task.label) < layer.ops.size() &&
          layer.ops[task.label].kind == OpKind::collective &&
          layer.ops[task.label].collective.kind == CollectiveKind::all_to_all;
      need.tasks += 1;
      need.bytes += all_to_all ? kAllToAllBytesPerTask : kReplayBytesPerTask;
    }
  need.tasks += torus.chip_count() * kTasksPerMark;
  need.bytes += torus.chip_count() * kTasksPerMark * kReplayBytesPerTask;
  return need;
}

// Tasks and bytes of one step, without the base. `cache` keeps the need of each layer already
// counted (decode steps repeat the same layers with other numbers, which do not change tasks).
MemoryNeed step_need(const Trace& trace, const Torus& torus, const StepTrace& step, bool exact,
                     std::map<std::string, MemoryNeed>& cache) {
  const double chips = torus.chip_count();
  MemoryNeed need{chips * kTasksPerMark, chips * kTasksPerMark * kReplayBytesPerTask};
  for (const LayerTrace& layer : step.layers) {
    // Same ops in the same order and with the same collectives: the same task count.
    std::string key = layer.name;
    for (const Op& op : layer.ops)
      key += "|" + op.name + (op.kind == OpKind::collective
                                  ? ":" + std::string(collective_kind_name(op.collective.kind)) +
                                        op.collective.axes.name() +
                                        std::to_string(op.collective.bytes)
                                  : "");
    auto it = cache.find(key);
    if (it == cache.end()) it = cache.emplace(key, layer_need(trace, torus, layer)).first;
    const int simulated = exact ? layer.repeat : std::min(layer.repeat, kSampledRepeats);
    need.tasks += simulated * it->second.tasks;
    need.bytes += simulated * it->second.bytes;
  }
  return need;
}

std::string gib(double bytes) { return format_bytes_in(bytes, ByteUnit::GiB, decimals(1)); }

// The chips the representative (chip 0) of a folded program sends to: replay_folded gives each a
// sink actor.
void add_send_peers(const Program& program, std::set<ChipId>& peers) {
  if (program.chips.empty()) return;
  for (const Task& task : program.chips[0].tasks)
    if (task.kind == TaskKind::send) peers.insert(task.peer);
}

}  // namespace

double collective_task_bound(const CollectiveSpec& spec, const TorusShape& shape) {
  const double chips = shape.chip_count();
  switch (spec.kind) {
    case CollectiveKind::permute:
      return chips * 3;  // send, receive, join
    case CollectiveKind::all_to_all: {
      double group = 1;
      for (Axis a : spec.axes.axes()) group *= shape.size(a);
      return chips * (2 * (group - 1) + 1);
    }
    default:
      return chips * per_chip_ring_tasks(spec, shape);
  }
}

MemoryNeed collective_memory_need(const CollectiveSpec& spec, const TorusShape& shape) {
  const double tasks = collective_task_bound(spec, shape);
  const double per_task =
      spec.kind == CollectiveKind::all_to_all ? kAllToAllBytesPerTask : kReplayBytesPerTask;
  return MemoryNeed{tasks, base_bytes(shape) + tasks * per_task,
                    static_cast<double>(shape.chip_count())};
}

MemoryNeed replay_memory_need(const Trace& trace, bool exact, ReplayMode mode) {
  if (mode != ReplayMode::per_chip) {
    const std::optional<MemoryNeed> folded = folded_replay_memory_need(trace, exact, mode);
    if (folded) return *folded;
  }
  const Torus torus(trace.scenario.shape);
  std::map<std::string, MemoryNeed> cache;
  MemoryNeed need{0, base_bytes(trace.scenario.shape), static_cast<double>(torus.chip_count())};
  const auto add = [&need](const MemoryNeed& more) {
    need.tasks += more.tasks;
    need.bytes += more.bytes;
  };
  if (exact) {
    for (const StepTrace& step : trace.steps) add(step_need(trace, torus, step, true, cache));
    return need;
  }
  // The fast path's first round: every non-decode step and the first, middle and last decode
  // steps, in one simulation (trace_replay.cpp). Later rounds simulate midpoints where the
  // decode time is not linear in the context: no more steps than this on real traces.
  // Mixed steps likewise: the first, middle and last of the full chunks and the shorter last one.
  std::vector<MemoryNeed> decode, mixed;
  for (const StepTrace& step : trace.steps) {
    if (step.phase == Phase::decode)
      decode.push_back(step_need(trace, torus, step, false, cache));
    else if (step.phase == Phase::mixed)
      mixed.push_back(step_need(trace, torus, step, false, cache));
    else
      add(step_need(trace, torus, step, false, cache));
  }
  const auto largest = [](const MemoryNeed& a, const MemoryNeed& b) { return a.bytes > b.bytes; };
  std::sort(decode.begin(), decode.end(), largest);
  std::sort(mixed.begin(), mixed.end(), largest);
  for (std::size_t i = 0; i < decode.size() && i < 3; ++i) add(decode[i]);
  for (std::size_t i = 0; i < mixed.size() && i < 4; ++i) add(mixed[i]);
  return need;
}

std::optional<MemoryNeed> folded_replay_memory_need(const Trace& trace, bool exact,
                                                    ReplayMode mode) {
  const Torus torus(trace.scenario.shape);
  // The folded platform has the representatives; the expanded result keeps per chip its end and
  // per link its statistics, small beside the per-chip platform's hosts, actors and mailboxes.
  MemoryNeed need{0, static_cast<double>(kReplayBaseBytes) +
                         kFoldedBytesPerChip * torus.chip_count()};
  // What plan_trace_replay lowers (fold.cpp), through the same check: the witnesses' programs of
  // the fast path, then, when exact, the representatives' whole program. Transfers are counted
  // at the all-to-all's cost, an upper bound.
  // The representative's actor and one sink actor per chip it sends to (replay_folded), over
  // every lowered program (an upper bound on each simulation's).
  std::set<ChipId> peers;
  const auto add = [&](const Program& program) {
    for (const ChipProgram& chip : program.chips)
      for (const Task& task : chip.tasks) {
        const bool transfer = task.kind == TaskKind::send || task.kind == TaskKind::recv;
        need.tasks += 1;
        need.bytes += transfer ? kAllToAllBytesPerTask : kReplayBytesPerTask;
      }
    add_send_peers(program, peers);
    need.actors = 1 + static_cast<double>(peers.size());
  };
  const auto lower_subset = [&](const Trace& subset) -> bool {
    const std::optional<TraceFoldCheck> check = check_trace_fold(subset, torus, mode);
    if (!check) return false;
    add(check->witnesses.program);
    if (exact)
      add(lower_trace(subset, torus, true,
                      Program::subset(torus.chip_count(), check->group.representatives()),
                      check->group.representative_count() == 1)
              .program);
    return true;
  };
  if (exact) {
    if (!lower_subset(trace)) return std::nullopt;
    return need;
  }
  // The fast path simulates one step per process, two at a time: its first round holds the
  // non-decode steps and up to three decode steps (replay_memory_need); count them all.
  int decode = 0, mixed = 0;
  for (std::size_t i = 0; i < trace.steps.size(); ++i) {
    // By phase first: a decode step of a generated trace is made only when it is counted.
    if (trace.steps.phase(i) == Phase::decode && decode++ >= 3) continue;
    if (trace.steps.phase(i) == Phase::mixed && mixed++ >= 4) continue;
    if (!lower_subset(Trace{trace.scenario, trace.memory, {trace.steps[i]}})) return std::nullopt;
  }
  return need;
}

MemoryNeed collective_memory_need(const CollectiveSpec& spec, const TorusShape& shape,
                                  ReplayMode mode) {
  if (mode == ReplayMode::per_chip) return collective_memory_need(spec, shape);
  const Torus torus(shape);
  const CollectivePlan plan = plan_collective_replay(spec, torus, mode, "");
  if (!plan.folded) return collective_memory_need(spec, shape);
  const Program& program = plan.program;
  const double tasks = static_cast<double>(program.task_count());
  const double per_task =
      spec.kind == CollectiveKind::all_to_all ? kAllToAllBytesPerTask : kReplayBytesPerTask;
  std::set<ChipId> peers;
  add_send_peers(program, peers);
  return MemoryNeed{tasks,
                    static_cast<double>(kReplayBaseBytes) +
                        kFoldedBytesPerChip * torus.chip_count() +
                        static_cast<double>(program.task_count()) * per_task,
                    1 + static_cast<double>(peers.size())};
}

void check_memory_available(const MemoryNeed& need, const std::string& what,
                            const SourceLocation& where) {
  if (const std::optional<double> limit = address_space_limit_bytes()) {
    const double mapped = mapped_not_resident_bytes();
    const double total = mapped + need.address_space_bytes();
    // The limit to suggest: what is needed plus 1 MiB (what is mapped varies a little from run
    // to run), rounded up to 10 MiB, in KiB as `ulimit -v` takes it.
    const double suggested_kib = std::ceil((total / 1024 + 1024) / 10240) * 10240;
    if (total > *limit)
      throw InputError(
          where, "memory",
          fmt::format("{} would need about {} of address space ({} resident for {:.3g} simulated "
                      "tasks and the platform, {} for {:.0f} SimGrid actor stacks, {} mapped "
                      "already by the libraries), more than the address-space limit of {} "
                      "(ulimit -v {:.0f}); raise it (ulimit -v {:.0f} would do), or simulate "
                      "fewer steps or layers (drop --exact), a smaller batch or slice",
                      what, format_bytes(total), format_bytes(need.bytes), need.tasks,
                      format_bytes(need.actors * kActorAddressSpaceBytes), need.actors,
                      format_bytes(mapped), format_bytes(*limit), std::floor(*limit / 1024),
                      suggested_kib));
  }
  const std::optional<double> available = available_memory_bytes();
  if (!available || need.bytes <= *available) return;
  throw InputError(
      where, "memory",
      fmt::format("{} would need about {} ({:.3g} simulated tasks at {}-{} bytes each, plus "
                  "the platform) but this machine has {} available; simulate fewer steps or layers "
                  "(drop --exact), a smaller batch or slice, or run it on a machine with more "
                  "memory",
                  what, gib(need.bytes), need.tasks, kReplayBytesPerTask, kAllToAllBytesPerTask,
                  gib(*available)));
}

}  // namespace podsim
