#include "sim/program/fold.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "sim/core/check.hpp"
#include "sim/core/input_error.hpp"
#include "sim/program/algorithms.hpp"

namespace podsim {

ReplayMode parse_replay_mode(const std::string& text, const std::string& key) {
  if (text == "auto") return ReplayMode::automatic;
  if (text == "folded") return ReplayMode::folded;
  if (text == "per-chip") return ReplayMode::per_chip;
  throw InputError(key, fmt::format("'{}' is not a replay: use auto, folded or per-chip", text));
}

FoldGroup::FoldGroup(const Torus& torus, AxisSet folded) : torus_(&torus), folded_(folded) {
  for (Axis a : kAxes) {
    PODSIM_CHECK(!folded.contains(a) || torus.shape().size(a) == 1 || torus.shape().wrapped(a),
                 "cannot fold axis {}: it does not wrap", axis_name(a));
    if (torus.shape().size(a) == 1) folded_.has[static_cast<int>(a)] = false;
  }
  index_.assign(torus.chip_count(), -1);
  for (ChipId c = 0; c < torus.chip_count(); ++c)
    if (representative_of(c) == c) {
      index_[c] = static_cast<int>(representatives_.size());
      representatives_.push_back(c);
    }
}

FoldGroup FoldGroup::widest(const Torus& torus) {
  AxisSet folded;
  // A twisted slice's wraparounds shift along other axes: coordinate-wise translation is not a
  // symmetry of its routes, so nothing folds there (every chip its own representative).
  if (torus.shape().twisted) return FoldGroup(torus, folded);
  for (Axis a : kAxes)
    folded.has[static_cast<int>(a)] = torus.shape().size(a) > 1 && torus.shape().wrapped(a);
  return FoldGroup(torus, folded);
}

ChipId FoldGroup::representative_of(ChipId chip) const {
  Coord c = torus_->coord(chip);
  for (Axis a : kAxes)
    if (folded_.contains(a)) c[a] = 0;
  return torus_->chip(c);
}

ChipId FoldGroup::offset_of(ChipId chip) const {
  Coord c = torus_->coord(chip);
  for (Axis a : kAxes)
    if (!folded_.contains(a)) c[a] = 0;
  return torus_->chip(c);
}

int FoldGroup::orbit_size() const {
  return torus_->chip_count() / std::max(1, representative_count());
}

std::string FoldGroup::describe() const {
  const int n = representative_count();
  return fmt::format("{} folded, {} representative{}",
                     folded_.empty() ? std::string("nothing") : folded_.name(), n,
                     n == 1 ? "" : "s");
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

std::vector<ChipId> fold_witnesses(const FoldGroup& group, const Torus& torus) {
  std::vector<ChipId> out;
  for (ChipId rep : group.representatives()) {
    out.push_back(rep);
    const Coord at = torus.coord(rep);
    Coord half = at;
    for (Axis a : group.folded().axes()) {
      const int k = torus.shape().size(a);
      half[a] = k / 2;
      for (int step : {1, k - 1}) {
        Coord c = at;
        c[a] = step;
        out.push_back(torus.chip(c));
      }
    }
    out.push_back(torus.chip(half));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<ChipId> fold_witnesses(const Torus& torus) {
  return fold_witnesses(FoldGroup::widest(torus), torus);
}

std::optional<std::string> translation_violation(const Program& program, const Torus& torus,
                                                 const FoldGroup& group, bool strict) {
  // One-hop rings (below) are exempt only where one representative stands for every chip.
  const bool single = group.representative_count() == 1 && !strict;
  for (ChipId c = 0; c < torus.chip_count(); ++c) {
    if (!program.lowers(c) || group.index_of(c) >= 0) continue;
    const ChipId r = group.representative_of(c), by = group.offset_of(c);
    const ChipProgram& rep = program.chips.at(r);
    const ChipProgram& other = program.chips[c];
    if (!program.lowers(r))
      return fmt::format("chip {} is lowered without its representative {}", c, r);
    if (other.tasks.size() != rep.tasks.size() || other.marks != rep.marks)
      return fmt::format("chip {} has {} tasks and {} marks, chip {} {} and {}", c,
                         other.tasks.size(), other.marks.size(), r, rep.tasks.size(),
                         rep.marks.size());
    for (std::size_t t = 0; t < rep.tasks.size(); ++t) {
      const Task& a = rep.tasks[t];
      const Task& b = other.tasks[t];
      // A one-hop ring's tasks (fold_source set on its sends, looped_einsum.hpp) need not have
      // translated peers: every chip of such a ring runs the same tasks, each send one hop on a
      // link no other send of the op uses, so each chip's timing is the representative's while
      // the op runs alone, which it does, since ops run one after another on every chip. Its
      // receives carry their own peer as fold_source.
      const bool ring = single && a.fold_source >= 0;
      const bool has_peer = (a.kind == TaskKind::send || a.kind == TaskKind::recv) && !ring;
      const bool same = a.kind == b.kind && a.channel == b.channel && a.hops == b.hops &&
                        a.label == b.label && a.bytes == b.bytes && a.flops == b.flops &&
                        a.delay_s == b.delay_s && a.dependencies == b.dependencies &&
                        a.successors == b.successors &&
                        (a.fold_source >= 0) == (b.fold_source >= 0) &&
                        (!ring || a.kind != TaskKind::send || a.hops == 1) &&
                        (!has_peer || b.peer == translate(torus, a.peer, by));
      if (!same)
        return fmt::format("task {} of chip {} is not task {} of chip {} translated", t, c, t, r);
    }
  }
  return std::nullopt;
}

std::optional<std::string> translation_violation(const Program& program, const Torus& torus) {
  return translation_violation(program, torus, FoldGroup::widest(torus));
}

std::vector<FoldGroup> candidate_fold_groups(const Torus& torus) {
  const FoldGroup widest = FoldGroup::widest(torus);
  std::vector<FoldGroup> out;
  for (int mask = 7; mask >= 0; --mask) {
    AxisSet axes;
    bool subset = true;
    for (Axis a : kAxes) {
      const int i = static_cast<int>(a);
      axes.has[i] = (mask >> i) & 1;
      subset = subset && (!axes.has[i] || widest.folded().has[i]);
    }
    if (subset) out.emplace_back(torus, axes);
  }
  // Fewest representatives first; equal counts keep the order above.
  std::stable_sort(out.begin(), out.end(), [](const FoldGroup& a, const FoldGroup& b) {
    return a.representative_count() < b.representative_count();
  });
  return out;
}

namespace {

ReplayMode g_replay_mode = ReplayMode::automatic;

// Once checked, the witnesses' programs are not needed: the folded replay runs the
// representatives alone.
void drop_witnesses(Program& program, const FoldGroup& group) {
  for (std::size_t c = 0; c < program.chips.size(); ++c)
    if (group.index_of(static_cast<ChipId>(c)) < 0) program.chips[c] = ChipProgram{};
  program.lowered.assign(program.chips.size(), 0);
  for (ChipId r : group.representatives()) program.lowered[r] = 1;
}

// The first candidate group under which `lower`'s program on that group's witnesses is
// invariant, with that program; the empty group (never checked: trivially exact) only when
// `mode` forces the fold. nullopt with `why` set when nothing folds. `lower(empty, memoise)`
// lowers into `empty`, memoising repeated ops when asked: only with one representative
// (OpMemo), so that each candidate is checked on the program it would replay.
template <typename Lower>
std::optional<std::pair<FoldGroup, Program>> find_fold(const Torus& torus, ReplayMode mode,
                                                      const Lower& lower, std::string& why,
                                                      FoldPurpose purpose = FoldPurpose::replay) {
  const bool timeline = purpose == FoldPurpose::timeline;
  why.clear();
  for (const FoldGroup& group : candidate_fold_groups(torus)) {
    if (group.folded().empty()) {
      if (why.empty())
        why = fold_shape_violation(torus.shape()).value_or("no axis of size above 1 wraps");
      if (mode != ReplayMode::folded) return std::nullopt;
      return std::pair{group, lower(Program::subset(torus.chip_count(), group.representatives()),
                                    false)};
    }
    Program program = lower(Program::subset(torus.chip_count(), fold_witnesses(group, torus)),
                            group.representative_count() == 1 && !timeline);
    const std::optional<std::string> violation =
        translation_violation(program, torus, group, timeline);
    if (!violation) return std::pair{group, std::move(program)};
    if (why.empty()) why = *violation;
  }
  return std::nullopt;
}

}  // namespace

ReplayMode process_replay_mode() { return g_replay_mode; }
void set_process_replay_mode(ReplayMode mode) { g_replay_mode = mode; }

namespace {

std::optional<TraceFoldCheck> check_fold(const Trace& trace, const Torus& torus, ReplayMode mode,
                                         std::string* why, FoldPurpose purpose) {
  std::string reason = "per-chip replay asked for";
  std::optional<TraceFoldCheck> out;
  if (mode != ReplayMode::per_chip) {
    // The check lowers the witnesses on the fast path's program (each repeated layer at most
    // kSampledRepeats times): every layer instance is lowered alike, so that program has every
    // kind of layer of the exact one, at a fraction of its size (the witnesses of a full-pod
    // exact decode step would take GiBs).
    std::vector<StepMarks> steps;
    const auto lower = [&](Program empty, bool memoise) {
      LoweredTrace lowered = lower_trace(trace, torus, false, std::move(empty), memoise);
      steps = std::move(lowered.steps);
      return std::move(lowered.program);
    };
    std::optional<std::pair<FoldGroup, Program>> found =
        find_fold(torus, mode, lower, reason, purpose);
    if (found)
      out = TraceFoldCheck{found->first,
                           LoweredTrace{std::move(found->second), std::move(steps)}};
  }
  if (why) *why = out ? std::string() : reason;
  return out;
}

}  // namespace

std::optional<TraceFoldCheck> check_trace_fold(const Trace& trace, const Torus& torus,
                                               ReplayMode mode, std::string* why) {
  return check_fold(trace, torus, mode, why, FoldPurpose::replay);
}

ReplayPlan plan_trace_replay(const Trace& trace, const Torus& torus, bool exact, ReplayMode mode,
                             FoldPurpose purpose) {
  ReplayPlan plan{LoweredTrace{Program(0), {}}, false, {}, ""};
  std::optional<TraceFoldCheck> check = check_fold(trace, torus, mode, &plan.reason, purpose);
  if (!check) {
    plan.lowered = lower_trace(trace, torus, exact);
    return plan;
  }
  plan.folded = true;
  plan.group = check->group;
  if (exact) {  // the representatives' whole program
    plan.lowered = lower_trace(trace, torus, true,
                               Program::subset(torus.chip_count(), plan.group.representatives()),
                               plan.group.representative_count() == 1 &&
                                   purpose == FoldPurpose::replay);
  } else {
    plan.lowered = std::move(check->witnesses);
    drop_witnesses(plan.lowered.program, plan.group);
  }
  return plan;
}

CollectivePlan plan_collective_replay(const CollectiveSpec& spec, const Torus& torus,
                                      ReplayMode mode, const std::string& label,
                                      FoldPurpose purpose) {
  const auto lower = [&](Program program, bool /*memoise: one op*/ = false) {
    const std::int32_t l = program.add_label(label);
    append_collective(program, torus, spec, Frontier(torus.chip_count(), kNoTask), l);
    return program;
  };
  CollectivePlan plan{Program(0), false, {}, "per-chip replay asked for"};
  if (mode != ReplayMode::per_chip) {
    std::optional<std::pair<FoldGroup, Program>> found =
        find_fold(torus, mode, lower, plan.reason, purpose);
    if (found) {
      plan.folded = true;
      plan.group = found->first;
      plan.program = std::move(found->second);
      plan.reason.clear();
      drop_witnesses(plan.program, plan.group);
      return plan;
    }
  }
  plan.program = lower(Program(torus.chip_count()), false);
  return plan;
}

Program expand_folded(const Program& folded, const Torus& torus, const FoldGroup& group) {
  Program out(torus.chip_count());
  out.labels = folded.labels;
  out.next_channel = folded.next_channel;
  out.relative_order = folded.relative_order;
  for (ChipId c = 0; c < torus.chip_count(); ++c) {
    const ChipId r = group.representative_of(c), by = group.offset_of(c);
    PODSIM_CHECK(folded.lowers(r), "representative {} is not lowered", r);
    ChipProgram chip = folded.chips[r];
    for (Task& task : chip.tasks)
      if (task.kind == TaskKind::send || task.kind == TaskKind::recv) {
        task.peer = translate(torus, task.peer, by);
        if (task.fold_source >= 0) task.fold_source = translate(torus, task.fold_source, by);
      }
    out.chips[c] = std::move(chip);
  }
  return out;
}

std::vector<TaskRecord> expand_folded_records(const std::vector<TaskRecord>& records,
                                              const Torus& torus, const FoldGroup& group) {
  std::vector<std::vector<TaskRecord>> of_rep(group.representative_count());
  for (const TaskRecord& r : records) of_rep.at(group.index_of(r.chip)).push_back(r);
  std::vector<TaskRecord> out;
  out.reserve(records.size() * static_cast<std::size_t>(group.orbit_size()));
  for (ChipId c = 0; c < torus.chip_count(); ++c)
    for (TaskRecord r : of_rep[group.index_of(group.representative_of(c))]) {
      r.chip = c;
      out.push_back(r);
    }
  return out;
}

}  // namespace podsim
