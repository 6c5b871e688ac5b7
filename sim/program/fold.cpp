#include "sim/program/fold.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "sim/core/input_error.hpp"
#include "sim/program/algorithms.hpp"

namespace podsim {

ReplayMode parse_replay_mode(const std::string& text, const std::string& key) {
  if (text == "auto") return ReplayMode::automatic;
  if (text == "folded") return ReplayMode::folded;
  if (text == "per-chip") return ReplayMode::per_chip;
  throw InputError(key, fmt::format("'{}' is not a replay: use auto, folded or per-chip", text));
}

std::optional<std::string> fold_shape_violation(const TorusShape& shape) {
  // The fold's translations and its platform's routes assume the plain torus's wiring.
  if (shape.twisted) return std::string("twisted slice: folded replay not proven exact");
  for (Axis a : kAxes)
    if (shape.size(a) > 1 && !shape.wrapped(a))
      return fmt::format("axis {} of size {} does not wrap", axis_name(a), shape.size(a));
  return std::nullopt;
}

ChipId translate(const Torus& torus, ChipId chip, ChipId by) {
  const Coord a = torus.coord(chip), b = torus.coord(by);
  Coord c;
  for (Axis x : kAxes) c[x] = (a[x] + b[x]) % torus.shape().size(x);
  return torus.chip(c);
}

ChipId negate(const Torus& torus, ChipId chip) {
  const Coord a = torus.coord(chip);
  Coord c;
  for (Axis x : kAxes) c[x] = (torus.shape().size(x) - a[x]) % torus.shape().size(x);
  return torus.chip(c);
}

std::vector<ChipId> fold_witnesses(const Torus& torus) {
  std::vector<ChipId> out{0};
  Coord half;
  for (Axis a : kAxes) {
    const int k = torus.shape().size(a);
    if (k <= 1) continue;
    half[a] = k / 2;
    for (int step : {1, k - 1}) {
      Coord c;
      c[a] = step;
      out.push_back(torus.chip(c));
    }
  }
  out.push_back(torus.chip(half));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<std::string> translation_violation(const Program& program, const Torus& torus) {
  const ChipProgram& rep = program.chips.at(0);
  for (ChipId c = 1; c < torus.chip_count(); ++c) {
    if (!program.lowers(c)) continue;
    const ChipProgram& other = program.chips[c];
    if (other.tasks.size() != rep.tasks.size() || other.marks != rep.marks)
      return fmt::format("chip {} has {} tasks and {} marks, chip 0 {} and {}", c,
                         other.tasks.size(), other.marks.size(), rep.tasks.size(),
                         rep.marks.size());
    for (std::size_t t = 0; t < rep.tasks.size(); ++t) {
      const Task& a = rep.tasks[t];
      const Task& b = other.tasks[t];
      // A one-hop ring's tasks (fold_source set on its sends, looped_einsum.hpp) need not have
      // translated peers: every chip of such a ring runs the same tasks, each send one hop on a
      // link no other send of the op uses, so each chip's timing is the representative's while
      // the op runs alone, which it does, since ops run one after another on every chip. Its
      // receives carry their own peer as fold_source.
      const bool ring = a.fold_source >= 0;
      const bool has_peer = (a.kind == TaskKind::send || a.kind == TaskKind::recv) && !ring;
      const bool same = a.kind == b.kind && a.channel == b.channel && a.hops == b.hops &&
                        a.label == b.label && a.bytes == b.bytes && a.flops == b.flops &&
                        a.delay_s == b.delay_s && a.dependencies == b.dependencies &&
                        a.successors == b.successors &&
                        (a.fold_source >= 0) == (b.fold_source >= 0) &&
                        (!ring || a.kind != TaskKind::send || a.hops == 1) &&
                        (!has_peer || b.peer == translate(torus, a.peer, c));
      if (!same)
        return fmt::format("task {} of chip {} is not task {} of chip 0 translated", t, c, t);
    }
  }
  return std::nullopt;
}

namespace {

ReplayMode g_replay_mode = ReplayMode::automatic;

// Once checked, the witnesses' programs are not needed: the folded replay runs chip 0 alone.
void drop_witnesses(Program& program) {
  for (std::size_t c = 1; c < program.chips.size(); ++c) program.chips[c] = ChipProgram{};
  program.lowered.assign(program.chips.size(), 0);
  program.lowered[0] = 1;
}

[[noreturn]] void refuse(const std::string& why) {
  throw InputError("--replay",
                   fmt::format("the folded replay would not be exact here ({}): use --replay auto "
                               "or per-chip", why));
}

}  // namespace

ReplayMode process_replay_mode() { return g_replay_mode; }
void set_process_replay_mode(ReplayMode mode) { g_replay_mode = mode; }

ReplayPlan plan_trace_replay(const Trace& trace, const Torus& torus, bool exact, ReplayMode mode) {
  ReplayPlan plan{LoweredTrace{Program(0), {}}, false, "per-chip replay asked for"};
  if (mode != ReplayMode::per_chip) {
    std::optional<std::string> why = fold_shape_violation(torus.shape());
    if (!why) {
      // The check lowers the witnesses on the fast path's program (each repeated layer at most
      // kSampledRepeats times): every layer instance is lowered alike, so that program has every
      // kind of layer of the exact one, at a fraction of its size (the witnesses of a full-pod
      // exact decode step would take GiBs). The exact program then lowers chip 0 alone.
      plan.lowered = lower_trace(trace, torus, false,
                                 Program::subset(torus.chip_count(), fold_witnesses(torus)), true);
      why = translation_violation(plan.lowered.program, torus);
      if (!why) {
        plan.folded = true;
        plan.reason.clear();
        if (exact)
          plan.lowered =
              lower_trace(trace, torus, true, Program::subset(torus.chip_count(), {0}), true);
        else
          drop_witnesses(plan.lowered.program);
        return plan;
      }
    }
    if (mode == ReplayMode::folded) refuse(*why);
    plan.reason = *why;
  }
  plan.lowered = lower_trace(trace, torus, exact);
  return plan;
}

CollectivePlan plan_collective_replay(const CollectiveSpec& spec, const Torus& torus,
                                      ReplayMode mode, const std::string& label) {
  const auto lower = [&](Program program) {
    const std::int32_t l = program.add_label(label);
    append_collective(program, torus, spec, Frontier(torus.chip_count(), kNoTask), l);
    return program;
  };
  CollectivePlan plan{Program(0), false, "per-chip replay asked for"};
  if (mode != ReplayMode::per_chip) {
    std::optional<std::string> why = fold_shape_violation(torus.shape());
    if (!why) {
      plan.program = lower(Program::subset(torus.chip_count(), fold_witnesses(torus)));
      why = translation_violation(plan.program, torus);
      if (!why) {
        plan.folded = true;
        plan.reason.clear();
        drop_witnesses(plan.program);
        return plan;
      }
    }
    if (mode == ReplayMode::folded) refuse(*why);
    plan.reason = *why;
  }
  plan.program = lower(Program(torus.chip_count()));
  return plan;
}

}  // namespace podsim
