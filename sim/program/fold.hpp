#pragma once
// The folded replay's representatives and their symmetry (sim/README.md §7), pure C++.
//
// On a slice whose axes all wrap, dimension-order routing with its fixed tie rule (the positive
// way on a tie, topology/torus.hpp) is invariant under every translation of the torus. When every
// chip's program is also the representative's (chip 0's) translated, the flows of the whole slice
// are the representative's flows translated, and max-min sharing, which has a unique solution, is
// translation invariant too: every chip does the same thing at the same instant and every link of
// one direction carries the same load. One chip on a folded platform, whose six direction links
// stand for all links of that direction and whose route to offset (dx, dy, dz) lists +x (or -x)
// |dx| times, then y, then z, is then exact: SimGrid 3.32 charges a link once per occurrence in a
// route (checked: one flow listing a 1e9 B/s link twice takes 2.000 s for 1e9 B), which is the
// load that many flows of the full torus put on one link. A receive from chip q completes when
// the representative's own send to -q (the translate of q's send to chip 0) completes.
//
// Axes of size 1 have no links and need no translation. Where some axis does not wrap, or the
// program is not invariant along it, the fold keeps one representative per coordinate of it
// (FoldGroup below).

#include <optional>
#include <string>
#include <vector>

#include "sim/partition/collective.hpp"
#include "sim/program/program.hpp"
#include "sim/program/replay_result.hpp"
#include "sim/program/trace_program.hpp"
#include "sim/topology/torus.hpp"

namespace podsim {

// Which replay runs: `automatic` folds where it is exact and replays every chip otherwise.
enum class ReplayMode { automatic, folded, per_chip };
// Parses "auto", "folded", "per-chip". Throws InputError naming `key`.
ReplayMode parse_replay_mode(const std::string& text, const std::string& key);
// "folded" or "per-chip": what ran.
inline const char* replay_name(bool folded) { return folded ? "folded" : "per-chip"; }

// The symmetry the folded replay uses: the translations along its folded axes, each an axis of
// size above 1 that wraps and along which the program is invariant. Its representatives are the
// chips at coordinate 0 on every folded axis, one per coordinate of the other axes (mesh axes, and
// wrapped axes along which the program is not invariant): with every axis folded, chip 0 alone;
// with none, every chip. Dimension-order routing is invariant under translations along wrapped
// axes whatever the other axes are (a route's steps along one axis do not depend on the
// coordinates of the others), so the argument above holds orbit by orbit: the chips of one orbit
// (a representative's translates) do the same at the same instant, and the links of one class
// (one direction, one representative's translates) carry the same load. The folded platform has
// each representative with its HBM and MXU and one link per class; a representative's route to a
// chip lists, per hop, the class of the hop's link. A receive of representative r from chip q
// completes with the send of representative(q) to r translated by -offset(q).
class FoldGroup {
 public:
  FoldGroup() = default;
  // `folded` may only name axes that wrap or have size 1 (checked).
  FoldGroup(const Torus& torus, AxisSet folded);
  // Every wrapped axis of size above 1 folded.
  static FoldGroup widest(const Torus& torus);

  const AxisSet& folded() const { return folded_; }
  const std::vector<ChipId>& representatives() const { return representatives_; }
  int representative_count() const { return static_cast<int>(representatives_.size()); }
  // The representative of the chip's orbit: its coordinates on the folded axes set to 0.
  ChipId representative_of(ChipId chip) const;
  // The translation taking the representative to the chip: its coordinates on the other axes
  // set to 0, so that chip = translate(torus, representative_of(chip), offset_of(chip)).
  ChipId offset_of(ChipId chip) const;
  // The index of `chip` among the representatives, -1 when it is not one.
  int index_of(ChipId chip) const { return index_[chip]; }
  // Chips of the slice one translate of each representative stands for (chip count /
  // representative count).
  int orbit_size() const;
  // "xyz folded, 1 representative", "x folded, 4 representatives", "nothing folded, 8
  // representatives".
  std::string describe() const;

 private:
  const Torus* torus_ = nullptr;
  AxisSet folded_;
  std::vector<ChipId> representatives_;
  std::vector<int> index_;  // by chip
};

// Why `shape` cannot be folded at all ("axis y of size 4 does not wrap"), or nullopt when every
// axis of size above 1 wraps, so that one representative stands for the whole slice.
std::optional<std::string> fold_shape_violation(const TorusShape& shape);

// The chip at coord(chip) + coord(by), each coordinate modulo its axis size.
ChipId translate(const Torus& torus, ChipId chip, ChipId by);
// The chip at -coord(chip), modulo the axis sizes.
ChipId negate(const Torus& torus, ChipId chip);

// Chips whose programs are compared with their representative's to detect a program that is not
// invariant under the group without lowering every chip: the representatives, and for each its
// translates by +1 and -1 along every folded axis and half-way round every folded axis at once.
// (Tests prove the invariance on every chip for each algorithm; the witnesses catch the programs
// that break it: snake rings over several axes, permutes over several axes in id order.)
std::vector<ChipId> fold_witnesses(const FoldGroup& group, const Torus& torus);
std::vector<ChipId> fold_witnesses(const Torus& torus);  // of FoldGroup::widest

// The first chip among those `program` lowers whose program is not its representative's
// translated (same tasks in the same order, peers translated), described; nullopt when all are.
// One-hop rings (Task::fold_source) need no translated peers when one representative stands for
// the slice (see fold.cpp).
// `strict` asks translated peers of one-hop rings too (for timelines expanded from the fold).
std::optional<std::string> translation_violation(const Program& program, const Torus& torus,
                                                 const FoldGroup& group, bool strict = false);
std::optional<std::string> translation_violation(const Program& program, const Torus& torus);

// The groups the planners try, in order: the subsets of the wrapped axes of size above 1 with
// the fewest representatives first (ties in x, y, z order), the empty set (every chip a
// representative) last. An empty list never: the empty set is always there.
std::vector<FoldGroup> candidate_fold_groups(const Torus& torus);

// The replay mode of this process, used by every simulation that does not name one (runs,
// collectives, calibration, layout search): automatic unless set (the CLI sets it from --replay
// or the environment variable PODSIM_REPLAY).
ReplayMode process_replay_mode();
void set_process_replay_mode(ReplayMode mode);

// A lowered trace and which replay executes it. Folded: the program lowers the representatives
// only, and replay_folded() runs them; else every chip, for replay().
struct ReplayPlan {
  LoweredTrace lowered;
  bool folded = false;
  FoldGroup group;     // when folded
  std::string reason;  // why it is not folded ("" when it is)
};

// Lowers `trace` for the replay `mode` asks for. Automatic: folded with the first candidate
// group (candidate_fold_groups) under which the witnesses' programs are their representatives'
// translated, provided it folds at least one axis; else per chip. ReplayMode::folded takes the
// empty group (every chip a representative) when nothing else holds, so it never refuses.
// Repeated ops are memoised (OpMemo) only with one representative, where no two ops overlap.
// Throws InputError for a collective the slice cannot run, as lower_trace does.
// What a folded plan is for. A timeline expands the representatives' programs and task records to
// every chip by translation (expand_folded), which needs every peer a translate, one-hop rings
// included, and no memoised ops (their tasks are not in the program): the planner then checks
// strictly and does not memoise, and may keep more representatives for it.
enum class FoldPurpose { replay, timeline };
ReplayPlan plan_trace_replay(const Trace& trace, const Torus& torus, bool exact, ReplayMode mode,
                             FoldPurpose purpose = FoldPurpose::replay);

// Every chip's program from a folded one planned for FoldPurpose::timeline: chip c runs its
// representative's tasks with peers translated by offset(c). Throws std::logic_error when a
// representative is not lowered.
Program expand_folded(const Program& folded, const Torus& torus, const FoldGroup& group);
// The replay's task records of the representatives (TaskRecord.chip a representative), as every
// chip's: each record once per chip of its representative's orbit, in the order given.
std::vector<TaskRecord> expand_folded_records(const std::vector<TaskRecord>& records,
                                              const Torus& torus, const FoldGroup& group);

// The check plan_trace_replay makes: the group it folds `trace` with and the witnesses' fast-path
// program it checked (which the fast path then replays), or nullopt with `why` (when given) set
// to the reason it replays every chip. For the memory estimate (task_budget.hpp), which must
// count what the plan lowers.
struct TraceFoldCheck {
  FoldGroup group;
  LoweredTrace witnesses;
};
std::optional<TraceFoldCheck> check_trace_fold(const Trace& trace, const Torus& torus,
                                               ReplayMode mode, std::string* why = nullptr);

// The same for one collective launched on every chip at time 0 (`label` tags its tasks).
struct CollectivePlan {
  Program program{0};
  bool folded = false;
  FoldGroup group;
  std::string reason;
};
CollectivePlan plan_collective_replay(const CollectiveSpec& spec, const Torus& torus,
                                      ReplayMode mode, const std::string& label,
                                      FoldPurpose purpose = FoldPurpose::replay);

}  // namespace podsim
