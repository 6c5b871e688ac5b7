#include "sim/replay/memory_limit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "sim/collective/algorithms.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/replay/trace_program.hpp"

namespace podsim {

namespace {

// Per chip, the tasks of one op other than a collective: compute, HBM traffic, their join
// (trace_program.cpp).
constexpr double kTasksPerComputeOp = 4;  // + the op's overhead delay
// A Looped CollectiveEinsum's tasks over those of the plain collective it replaces.
constexpr double kLoopedTaskFactor = 2;
// Per chip and simulated layer instance: the join that marks its end.
constexpr double kTasksPerMark = 1;

double per_chip_ring_tasks(const CollectiveSpec& spec, const TorusShape& shape) {
  double tasks = 0;
  const auto parts = ring_collective_parts(spec, shape);
  for (const auto& phases : parts)
    for (const RingPhase& phase : phases) {
      const double k = shape.size(phase.axis);
      const RingAlgorithm algorithm = effective_algorithm(spec.algorithm, shape, phase.axis);
      const double streams = algorithm == RingAlgorithm::ring ? 1 : 2;
      // Per stream and step at most a send and a receive, plus the addition of a reduction.
      tasks += streams * (k - 1) * (phase.reduce ? 3 : 2) + 1;  // + the phase's join
    }
  if (parts.size() > 1) tasks += 1;  // the join of the parts
  return tasks;
}

// Tasks and bytes of the ops of one step, without the base.
MemoryNeed step_need(const StepTrace& step, const TorusShape& shape, bool exact) {
  const double chips = shape.chip_count();
  MemoryNeed need{chips * kTasksPerMark, 0};  // the step's start
  need.bytes = need.tasks * kReplayBytesPerTask;
  for (const LayerTrace& layer : step.layers) {
    MemoryNeed layer_need{chips * kTasksPerMark, chips * kTasksPerMark * kReplayBytesPerTask};
    for (const Op& op : layer.ops) {
      MemoryNeed op_need;
      if (op.kind == OpKind::collective) {
        op_need = collective_memory_need(op.collective, shape);
        op_need.bytes -= static_cast<double>(kReplayBaseBytes);
        // Its overhead delay; a Looped CollectiveEinsum has, per half-shard step, a send, a
        // receive, an addition and a chunk plus joins, and only one of an einsum's two collectives is
        // looped: counted as twice the plain ring (checked against lowered traces by a test).
        const double factor = op.looped_with.empty() ? 1.0 : kLoopedTaskFactor;
        op_need.tasks = op_need.tasks * factor + chips;
        op_need.bytes = op_need.bytes * factor + chips * kReplayBytesPerTask;
      } else {
        op_need.tasks = chips * kTasksPerComputeOp;
        op_need.bytes = op_need.tasks * kReplayBytesPerTask;
      }
      layer_need.tasks += op_need.tasks;
      layer_need.bytes += op_need.bytes;
    }
    const int simulated = exact ? layer.repeat : std::min(layer.repeat, kSampledRepeats);
    need.tasks += simulated * layer_need.tasks;
    need.bytes += simulated * layer_need.bytes;
  }
  return need;
}

std::string gib(double bytes) { return fmt::format("{:.1f} GiB", bytes / double(1LL << 30)); }

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
  return MemoryNeed{tasks, static_cast<double>(kReplayBaseBytes) + tasks * per_task};
}

MemoryNeed replay_memory_need(const Trace& trace, bool exact) {
  const TorusShape& shape = trace.scenario.shape;
  MemoryNeed need{0, static_cast<double>(kReplayBaseBytes)};
  const auto add = [&need](const MemoryNeed& more) {
    need.tasks += more.tasks;
    need.bytes += more.bytes;
  };
  if (exact) {
    for (const StepTrace& step : trace.steps) add(step_need(step, shape, true));
    return need;
  }
  // The fast path's first round: every non-decode step and the first, middle and last decode
  // steps, in one simulation (trace_replay.cpp). Later rounds simulate midpoints where the
  // decode time is not linear in the context: no more steps than this on real traces.
  std::vector<MemoryNeed> decode;
  for (const StepTrace& step : trace.steps) {
    if (step.phase == "decode")
      decode.push_back(step_need(step, shape, false));
    else
      add(step_need(step, shape, false));
  }
  std::sort(decode.begin(), decode.end(),
            [](const MemoryNeed& a, const MemoryNeed& b) { return a.bytes > b.bytes; });
  for (std::size_t i = 0; i < decode.size() && i < 3; ++i) add(decode[i]);
  return need;
}

std::optional<double> available_memory_bytes() {
  if (const char* text = std::getenv("PODSIM_MEMORY_AVAILABLE"); text != nullptr && *text != 0)
    return static_cast<double>(parse_bytes(text, "PODSIM_MEMORY_AVAILABLE"));
  std::ifstream meminfo("/proc/meminfo");
  for (std::string line; std::getline(meminfo, line);) {
    std::istringstream fields(line);
    std::string name, unit;
    double value = 0;
    if (fields >> name >> value >> unit && name == "MemAvailable:")
      return value * (unit == "kB" ? 1024.0 : 1.0);
  }
  return std::nullopt;
}

void check_memory_available(const MemoryNeed& need, const std::string& what,
                            const SourceLocation& where) {
  const std::optional<double> available = available_memory_bytes();
  if (!available || need.bytes <= *available) return;
  throw InputError(
      where, "memory",
      fmt::format("{} would need about {} ({:.3g} simulated tasks at {}-{} bytes each, plus "
                  "{} MiB) but this machine has {} available; simulate fewer steps or layers "
                  "(drop --exact), a smaller batch or slice, or run it on a machine with more "
                  "memory",
                  what, gib(need.bytes), need.tasks, kReplayBytesPerTask, kAllToAllBytesPerTask,
                  kReplayBaseBytes >> 20, gib(*available)));
}

}  // namespace podsim
