#pragma once
// `ffn_layout: auto` by simulated time: every candidate layout the loader found valid
// (Scenario::layout_candidates) is pruned by a closed form, planned in memory, and the rest are
// simulated on the fast path; the least simulated time wins. A prefill scenario and a decode
// scenario each get their own choice; a generate scenario keeps one layout for both phases (the
// weights stay where they are) and is ranked by its total, with the per-phase times shown.
//
// Pruning (sound under the closed form): per transformer layer and chip, compute = weight matmul
// flops / (peak x mxu_efficiency), memory = weight bytes / (HBM bandwidth x hbm_efficiency), comm
// = the paper's transfer bytes (analytic/layout_cost) over 6 ICI links at best and 2 at worst,
// each at ici_efficiency. A layout whose best case
// max(compute, memory, comm_6) exceeds kPruneFactor x the least worst case
// (compute + memory + comm_2) of any candidate cannot win and is not simulated.

#include <optional>
#include <string>
#include <vector>

#include "sim/explore/trace_replay.hpp"
#include "sim/workload/scenario.hpp"

namespace podsim {

// Margin on the closed-form bounds before a layout is pruned (the chip model's overheads are
// not in the bounds).
inline constexpr double kPruneFactor = 1.5;

struct LayoutRankEntry {
  FfnLayout layout = FfnLayout::ws_2d;
  bool pad_heads = false;
  std::string status;  // "simulated", "pruned" or "no-fit"
  std::string reason;  // why it was not simulated
  Seconds prefill_s = 0, decode_s = 0, total_s = 0;  // simulated (status "simulated")
  Seconds bound_low_s = 0, bound_high_s = 0;         // closed-form bounds, whole run
};

struct LayoutRanking {
  std::vector<LayoutRankEntry> entries;  // simulated by total time, then pruned, then no-fit
  std::optional<TraceTiming> chosen_timing;  // the winner's fast-path timing
  bool empty() const { return entries.empty() || entries.front().status != "simulated"; }
};

// The scenario with one candidate's layout (and its pad_heads); layout_candidates cleared.
Scenario with_layout(const Scenario& scenario, FfnLayout layout, bool pad_heads);

// Requires scenario.layout_candidates non-empty. Throws InputError when no candidate fits in
// HBM (naming the memory each needs), unless allow_oversubscribe.
LayoutRanking rank_layouts(const Scenario& scenario);

// "ffn_layout: auto chose ws-2d by simulated time" and one line per candidate.
std::string ranking_text(const LayoutRanking& ranking);

}  // namespace podsim
