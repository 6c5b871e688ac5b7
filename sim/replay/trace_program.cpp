#include "sim/replay/trace_program.hpp"

#include <algorithm>

#include "sim/collective/algorithms.hpp"
#include "sim/core/check.hpp"

namespace podsim {

namespace {

// Appends one op on every chip after `frontier`; updates the frontier to the op's end.
void lower_op(Program& program, const Torus& torus, const Op& op, std::int32_t label,
              Frontier& frontier) {
  if (op.kind == OpKind::collective) {
    // Ops run one after another, so their channels can be reused: every chip finishes all its
    // sends of one op before it sends anything of the next, which keeps FIFO matching per pair.
    program.next_channel = 0;
    frontier = append_collective(program, torus, op.collective, frontier, label);
    return;
  }
  const Bytes hbm_bytes = op.weight_bytes + op.kv_bytes + op.activation_bytes;
  for (ChipId c = 0; c < torus.chip_count(); ++c) {
    ChipProgram& chip = program.chips[c];
    const TaskId compute =
        chip.add(Task{.kind = TaskKind::compute, .label = label, .flops = op.flops}, frontier[c]);
    const TaskId memory =
        chip.add(Task{.kind = TaskKind::hbm, .label = label, .bytes = hbm_bytes}, frontier[c]);
    frontier[c] = chip.join({compute, memory});
  }
}

int mark(Program& program, const Frontier& frontier) {
  for (ChipId c = 0; c < static_cast<ChipId>(program.chips.size()); ++c) {
    ChipProgram& chip = program.chips[c];
    // A join of its own, so that a mark never shares a task with another mark.
    chip.marks.push_back(chip.join({frontier[c]}));
  }
  return static_cast<int>(program.chips[0].marks.size()) - 1;
}

}  // namespace

LoweredTrace lower_trace(const Trace& trace, const Torus& torus, bool exact) {
  LoweredTrace lowered{Program(torus.chip_count()), {}};
  Program& program = lowered.program;
  Frontier frontier(torus.chip_count(), kNoTask);
  for (const StepTrace& step : trace.steps) {
    StepMarks step_marks;
    step_marks.start = frontier[0] == kNoTask ? -1 : mark(program, frontier);
    if (step_marks.start >= 0)
      for (ChipId c = 0; c < torus.chip_count(); ++c)
        frontier[c] = program.chips[c].marks.back();
    for (const LayerTrace& layer : step.layers) {
      LayerMarks layer_marks;
      layer_marks.repeat = layer.repeat;
      layer_marks.simulated = exact ? layer.repeat : std::min(layer.repeat, kSampledRepeats);
      std::vector<std::int32_t> labels;
      for (const Op& op : layer.ops) {
        if (op.kind == OpKind::collective)
          validate_collective(op.collective, torus.shape(),
                              step.phase + "." + layer.name + "." + op.name);
        labels.push_back(program.add_label(layer.name + "." + op.name));
      }
      for (int r = 0; r < layer_marks.simulated; ++r) {
        for (std::size_t i = 0; i < layer.ops.size(); ++i)
          lower_op(program, torus, layer.ops[i], labels[i], frontier);
        layer_marks.ends.push_back(mark(program, frontier));
        for (ChipId c = 0; c < torus.chip_count(); ++c)
          frontier[c] = program.chips[c].marks.back();
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
