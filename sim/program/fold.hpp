#pragma once
// The folded replay's representative and its symmetry (sim/README.md §7), pure C++.
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
// Axes of size 1 have no links and need no translation; every other axis must wrap.

#include <optional>
#include <string>
#include <vector>

#include "sim/partition/collective.hpp"
#include "sim/program/program.hpp"
#include "sim/program/trace_program.hpp"
#include "sim/topology/torus.hpp"

namespace podsim {

// Which replay runs: `automatic` folds where it is exact and replays every chip otherwise.
enum class ReplayMode { automatic, folded, per_chip };
// Parses "auto", "folded", "per-chip". Throws InputError naming `key`.
ReplayMode parse_replay_mode(const std::string& text, const std::string& key);
// "folded" or "per-chip": what ran.
inline const char* replay_name(bool folded) { return folded ? "folded" : "per-chip"; }

// Why `shape` cannot be folded ("axis y of size 4 does not wrap"), or nullopt when every axis of
// size above 1 wraps.
std::optional<std::string> fold_shape_violation(const TorusShape& shape);

// The chip at coord(chip) + coord(by), each coordinate modulo its axis size.
ChipId translate(const Torus& torus, ChipId chip, ChipId by);
// The chip at -coord(chip), modulo the axis sizes.
ChipId negate(const Torus& torus, ChipId chip);

// Chips whose programs are compared with the representative's to detect a program that is not
// translation invariant without lowering every chip: chip 0, the neighbours +1 and -1 along every
// axis of size above 1, and the chip half-way round every axis. (Tests prove the invariance on
// every chip for each algorithm; the witnesses catch the programs that break it: snake rings over
// several axes, permutes over several axes in id order.)
std::vector<ChipId> fold_witnesses(const Torus& torus);

// The first chip among those `program` lowers whose program is not chip 0's translated (same
// tasks in the same order, peers translated), described; nullopt when all are.
std::optional<std::string> translation_violation(const Program& program, const Torus& torus);

// The replay mode of this process, used by every simulation that does not name one (runs,
// collectives, calibration, layout search): automatic unless set (the CLI sets it from --replay
// or the environment variable PODSIM_REPLAY).
ReplayMode process_replay_mode();
void set_process_replay_mode(ReplayMode mode);

// A lowered trace and which replay executes it. Folded: the program lowers chip 0 and the
// witnesses only, and replay_folded() runs chip 0; else every chip, for replay().
struct ReplayPlan {
  LoweredTrace lowered;
  bool folded = false;
  std::string reason;  // why it is not folded ("" when it is)
};

// Lowers `trace` for the replay `mode` asks for: folded where the shape allows it and the
// witnesses' programs are the representative's translated, else per chip. With
// ReplayMode::folded a trace that cannot be folded exactly throws InputError (--replay) naming
// why. Throws InputError for a collective the slice cannot run, as lower_trace does.
ReplayPlan plan_trace_replay(const Trace& trace, const Torus& torus, bool exact, ReplayMode mode);

// The same for one collective launched on every chip at time 0 (`label` tags its tasks).
struct CollectivePlan {
  Program program{0};
  bool folded = false;
  std::string reason;
};
CollectivePlan plan_collective_replay(const CollectiveSpec& spec, const Torus& torus,
                                      ReplayMode mode, const std::string& label);

}  // namespace podsim
