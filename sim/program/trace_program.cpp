#include "sim/program/trace_program.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "sim/program/algorithms.hpp"
#include "sim/core/check.hpp"
#include "sim/program/looped_einsum.hpp"
#include "sim/workload/op_cost.hpp"

namespace podsim {

namespace {

void add_delay(Program& program, Seconds delay_s, std::int32_t label, Frontier& frontier) {
  if (delay_s <= 0) return;
  for (ChipId c = 0; c < static_cast<ChipId>(program.chips.size()); ++c)
    if (program.lowers(c))
      frontier[c] = program.chips[c].add(
        Task{.kind = TaskKind::delay, .label = label, .delay_s = delay_s}, frontier[c]);
}

// Appends one einsum or element-wise op on every chip after `frontier`: the core work (MXU, and
// vector work at its own rate) and the HBM traffic start together; the op ends when both end.
void lower_compute_op(Program& program, const Scenario& scenario, const EinsumWork& work,
                      std::int32_t label, Frontier& frontier) {
  const ChipSpec& chip = scenario.platform.chip;
  add_delay(program, chip.op_overhead_s, label, frontier);
  const Flops core = core_flops(work, chip);
  for (ChipId c = 0; c < static_cast<ChipId>(program.chips.size()); ++c) {
    if (!program.lowers(c)) continue;
    ChipProgram& p = program.chips[c];
    const TaskId compute =
        p.add(Task{.kind = TaskKind::compute, .label = label, .flops = core}, frontier[c]);
    const TaskId memory =
        p.add(Task{.kind = TaskKind::hbm, .label = label, .bytes = work.hbm_bytes}, frontier[c]);
    frontier[c] = p.join({compute, memory});
  }
}

void lower_collective(Program& program, const Torus& torus, const Scenario& scenario,
                      const CollectiveSpec& spec, std::int32_t label, Frontier& frontier) {
  // Ops run one after another, so their channels can be reused: every chip finishes all its
  // sends of one op before it sends anything of the next, which keeps FIFO matching per pair.
  program.next_channel = 0;
  CollectiveSpec with_cost = spec;
  with_cost.message_overhead_s = scenario.platform.chip.ici_message_overhead_s;
  with_cost.launch_overhead_s = scenario.platform.chip.collective_overhead_s;
  frontier = append_collective(program, torus, with_cost, frontier, label);
}

// Which collectives of a layer run as Looped CollectiveEinsums, and with which einsum. An einsum
// fed by an all-gather and drained by a reduce-scatter can loop only one of them (the loops cut
// the einsum along different dimensions): the one that moves more bytes per chip.
std::map<std::size_t, std::size_t> looped_pairs(const LayerTrace& layer) {
  std::map<std::size_t, std::vector<std::size_t>> by_einsum;
  for (std::size_t i = 0; i < layer.ops.size(); ++i) {
    const Op& op = layer.ops[i];
    if (op.kind != OpKind::collective || op.looped_with.empty()) continue;
    for (std::size_t e = 0; e < layer.ops.size(); ++e)
      if (layer.ops[e].kind == OpKind::einsum && layer.ops[e].name == op.looped_with) {
        const bool before = i + 1 == e && op.collective.kind == CollectiveKind::all_gather;
        const bool after = e + 1 == i && op.collective.kind == CollectiveKind::reduce_scatter;
        if (before || after) by_einsum[e].push_back(i);
      }
  }
  std::map<std::size_t, std::size_t> collective_of;  // einsum index -> collective index
  for (const auto& [e, collectives] : by_einsum) {
    std::size_t best = collectives.front();
    for (std::size_t c : collectives)
      if (layer.ops[c].collective.bytes > layer.ops[best].collective.bytes) best = c;
    collective_of[e] = best;
  }
  return collective_of;
}

// The parameters that determine every task an op lowers to (OpMemo). Doubles in hexadecimal, so
// that only equal values give equal signatures.
std::string collective_signature(const CollectiveSpec& spec) {
  return fmt::format("{}|{}|{}|{}|{}", collective_kind_name(spec.kind), spec.axes.name(),
                     spec.bytes, ring_algorithm_name(spec.algorithm),
                     multi_axis_name(spec.multi_axis));
}

// Lowers the op `lower` appends, or a delay for its measured duration when an op of the same
// signature was lowered before (OpMemo). Without a memo, just lowers it.
template <typename Lower>
void lower_memoised(Program& program, OpMemo* memo, const std::string& signature,
                    std::int32_t label, Frontier& frontier, Lower&& lower) {
  if (memo == nullptr) {
    lower();
    return;
  }
  const auto chips = static_cast<ChipId>(program.chips.size());
  const auto found = memo->span_of.find(signature);
  if (found != memo->span_of.end()) {
    for (ChipId c = 0; c < chips; ++c)
      if (program.lowers(c))
        frontier[c] = program.chips[c].add(
            Task{.kind = TaskKind::delay, .label = label, .memo = found->second}, frontier[c]);
    return;
  }
  const Frontier before = frontier;
  lower();
  std::int32_t span = -1;
  for (ChipId c = 0; c < chips; ++c) {
    if (!program.lowers(c)) continue;
    auto& spans = program.chips[c].memo_spans;
    span = static_cast<std::int32_t>(spans.size());
    spans.push_back({before[c], frontier[c]});
  }
  memo->span_of.emplace(signature, span);
}

}  // namespace

std::map<std::size_t, std::size_t> kept_loops(const TorusShape& shape, const Scenario& scenario,
                                              const LayerTrace& layer) {
  if (scenario.collective_einsum != CollectiveEinsum::looped) return {};
  std::map<std::size_t, std::size_t> loops = looped_pairs(layer);
  // A compiler decomposes a collective into a loop only where its cost model says the loop is
  // faster (XLA's windowed einsum has a size threshold for the same reason): podsim keeps a loop
  // only where its closed-form estimate beats the plain collective and einsum (issue 13), so
  // that `collective_einsum: looped` never loses to `off` by choice.
  std::erase_if(loops, [&](const auto& pair) {
    const auto& [e, c] = pair;
    const LoopedKind kind = c < e ? LoopedKind::all_gather_then_einsum
                                  : LoopedKind::einsum_then_reduce_scatter;
    return !looped_estimate(shape, kind, layer.ops[c].collective, work_of(layer.ops[e], scenario),
                            scenario.platform.chip)
                .loop_wins();
  });
  return loops;
}

void lower_layer(Program& program, const Torus& torus, const Scenario& scenario,
                 const LayerTrace& layer, const std::vector<std::int32_t>& labels,
                 Frontier& frontier, OpMemo* memo) {
  const std::map<std::size_t, std::size_t> loops = kept_loops(torus.shape(), scenario, layer);
  std::vector<bool> fused(layer.ops.size(), false);
  for (const auto& [e, c] : loops) fused[c] = true;
  for (std::size_t i = 0; i < layer.ops.size(); ++i) {
    const Op& op = layer.ops[i];
    if (fused[i]) continue;  // lowered with its einsum
    if (op.kind == OpKind::collective) {
      lower_memoised(program, memo, "collective|" + collective_signature(op.collective), labels[i],
                     frontier, [&] {
                       lower_collective(program, torus, scenario, op.collective, labels[i],
                                        frontier);
                     });
      continue;
    }
    const EinsumWork work = work_of(op, scenario);
    const auto loop = loops.find(i);
    if (loop == loops.end()) {
      lower_compute_op(program, scenario, work, labels[i], frontier);
      continue;
    }
    const Op& collective = layer.ops[loop->second];
    const LoopedKind kind = loop->second < i ? LoopedKind::all_gather_then_einsum
                                             : LoopedKind::einsum_then_reduce_scatter;
    const std::string signature = fmt::format(
        "looped|{}|{}|{:a}|{}|{:a}|{}", kind == LoopedKind::all_gather_then_einsum ? "ag" : "rs",
        collective_signature(collective.collective), work.mxu_flops, work.hbm_bytes,
        work.vector_flops, ring_order_name(scenario.ring_order));
    lower_memoised(program, memo, signature, labels[i], frontier, [&] {
      append_looped_einsum(program, torus, kind, collective.collective, work,
                           scenario.platform.chip, labels[i], frontier, scenario.ring_order);
    });
  }
}

namespace {

int mark(Program& program, const Frontier& frontier) {
  for (ChipId c = 0; c < static_cast<ChipId>(program.chips.size()); ++c) {
    if (!program.lowers(c)) continue;
    ChipProgram& chip = program.chips[c];
    // A join of its own, so that a mark never shares a task with another mark.
    chip.marks.push_back(chip.join({frontier[c]}));
  }
  return static_cast<int>(program.chips[0].marks.size()) - 1;
}

}  // namespace

LoweredTrace lower_trace(const Trace& trace, const Torus& torus, bool exact) {
  return lower_trace(trace, torus, exact, Program(torus.chip_count()));
}

LoweredTrace lower_trace(const Trace& trace, const Torus& torus, bool exact, Program empty,
                         bool memoise) {
  PODSIM_CHECK(empty.task_count() == 0 && static_cast<int>(empty.chips.size()) == torus.chip_count(),
               "lower_trace needs an empty program of the slice's {} chips", torus.chip_count());
  LoweredTrace lowered{std::move(empty), {}};
  Program& program = lowered.program;
  Frontier frontier(torus.chip_count(), kNoTask);
  OpMemo memo;
  for (const StepTrace& step : trace.steps) {
    StepMarks step_marks;
    step_marks.start = frontier[0] == kNoTask ? -1 : mark(program, frontier);
    if (step_marks.start >= 0)
      for (ChipId c = 0; c < torus.chip_count(); ++c)
        if (program.lowers(c)) frontier[c] = program.chips[c].marks.back();
    for (const LayerTrace& layer : step.layers) {
      LayerMarks layer_marks;
      layer_marks.repeat = layer.repeat;
      layer_marks.simulated = exact ? layer.repeat : std::min(layer.repeat, kSampledRepeats);
      std::vector<std::int32_t> labels;
      for (const Op& op : layer.ops) {
        if (op.kind == OpKind::collective)
          validate_collective(op.collective, torus.shape(),
                              std::string(phase_name(step.phase)) + "." + layer.name + "." + op.name);
        labels.push_back(program.add_label(layer.name + "." + op.name));
      }
      for (int r = 0; r < layer_marks.simulated; ++r) {
        lower_layer(program, torus, trace.scenario, layer, labels, frontier,
                    memoise ? &memo : nullptr);
        layer_marks.ends.push_back(mark(program, frontier));
        for (ChipId c = 0; c < torus.chip_count(); ++c)
          if (program.lowers(c)) frontier[c] = program.chips[c].marks.back();
      }
      step_marks.layers.push_back(std::move(layer_marks));
    }
    lowered.steps.push_back(std::move(step_marks));
  }
  return lowered;
}

std::vector<StepTiming> step_timings(const LoweredTrace& lowered,
                                     const std::vector<Seconds>& mark_s) {
  std::vector<StepTiming> out;
  for (const StepMarks& step : lowered.steps) {
    StepTiming timing;
    Seconds previous = step.start >= 0 ? mark_s.at(step.start) : 0.0;
    for (const LayerMarks& layer : step.layers) {
      const Seconds begin = previous;
      const Seconds end = mark_s.at(layer.ends.back());
      Seconds duration = end - begin;
      if (layer.simulated < layer.repeat) {
        // The last simulated instance is the steady-state period.
        const Seconds before_last =
            layer.simulated >= 2 ? mark_s.at(layer.ends[layer.ends.size() - 2]) : begin;
        duration += (layer.repeat - layer.simulated) * (end - before_last);
      }
      timing.layer_s.push_back(duration);
      timing.duration_s += duration;
      previous = end;
    }
    out.push_back(std::move(timing));
  }
  return out;
}

}  // namespace podsim
