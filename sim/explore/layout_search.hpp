#pragma once
// `ffn_layout: auto`, decided in one place: choose_layout(). The loader records `auto` as a
// request (Scenario::ffn_layout_auto); every command that needs a layout passes the scenario
// through choose_layout() first, and commands that must not simulate (`podsim trace`) refuse an
// undecided layout instead.
//
// By simulated time: the candidates are the layouts that can shard the model on the slice
// (layout_candidates()), each with its pad_heads resolved. Those that do not fit in HBM are
// dropped (unless allow_oversubscribe); those whose closed-form best case (analytic/layout_cost's
// layer_time_bounds over the whole run) exceeds kPruneFactor x the least worst case of any
// candidate cannot win and are not simulated; the rest are simulated on the fast path and the
// least simulated time wins. A prefill scenario and a decode scenario each get their own choice;
// a generate scenario with one `ffn_layout: auto` keeps one layout for both phases (the weights
// stay where they are) and is ranked by its total, with the per-phase times shown.
//
// Per phase (`ffn_layout: {prefill: auto, decode: ...}`): the prefill's auto ranks the layouts by
// simulating the prefill alone (the scenario as phase prefill, with the prefill's attention), the
// decode's by simulating the decode steps alone (phase decode, context input_tokens, with the
// decode's attention), the same way as above. The pair chosen is the one with the least sum of
// the two simulated times and of the simulated move of the KV cache between them
// (step_generator's transition_step: where the prefill's layout leaves the cache sharded
// otherwise than the decode's needs it), among pairs that store the weights alike
// (weight_layout_problem: ws-1d pairs only with itself). So a phase's own best is passed over
// only where it would need the weights re-laid out, or where its cache's move costs more than it
// saves; the note says which.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/explore/trace_replay.hpp"
#include "sim/workload/scenario.hpp"

namespace podsim {

// Margin on the closed-form bounds before a layout is pruned (the chip model's overheads are
// not in the bounds).
inline constexpr double kPruneFactor = 1.5;

// What became of a candidate layout.
enum class RankStatus { simulated, pruned, no_fit };
std::string_view rank_status_name(RankStatus status);  // "simulated", "pruned", "no-fit"

struct LayoutRankEntry {
  FfnLayout layout = FfnLayout::ws_2d;
  bool pad_heads = false;
  std::string token_axes;  // a token-split prefill's token axes ("xyz"), empty otherwise
  RankStatus status = RankStatus::simulated;
  std::string reason;  // why it was not simulated
  Seconds prefill_s = 0, decode_s = 0, total_s = 0;  // simulated (status simulated)
  Seconds bound_low_s = 0, bound_high_s = 0;         // closed-form bounds, whole run
};

struct LayoutRanking {
  std::string label = "ffn_layout";  // the key decided: "ffn_layout", "ffn_layout.prefill", ...
  std::vector<LayoutRankEntry> entries;  // simulated by total time, then pruned, then no-fit
  std::optional<TraceTiming> chosen_timing;  // the winner's fast-path timing
  bool empty() const {
    return entries.empty() || entries.front().status != RankStatus::simulated;
  }
};

struct LayoutChoice {
  Scenario scenario;                     // with its layout decided (ffn_layout_auto false)
  std::optional<LayoutRanking> ranking;  // when the layout (per phase: the prefill's) was `auto`
  std::optional<LayoutRanking> decode_ranking;  // per phase: when the decode's was `auto`
  std::string note;  // per phase: why a phase's own best was passed over, if it was
  Seconds transition_s = 0;  // per phase: the chosen pair's simulated move of the KV cache
};

// The layouts that can shard `scenario`'s model and batch on its slice, in kFfnLayouts order:
// copies of the scenario with ffn_layout set, pad_heads resolved and ffn_layout_auto false, each
// passing validate_scenario. Enumeration only (nothing is decided or simulated). Throws the
// validation error of the default layout (ws-2d) when no layout applies. Per phase: every pair
// (prefill, decode) of layouts for the phases left `auto` that validates.
std::vector<Scenario> layout_candidates(const Scenario& scenario);

// The one function that decides `ffn_layout: auto`. A scenario whose layout was given is
// returned as it is. Otherwise ranks layout_candidates() as described above and returns the
// winner with the ranking; throws InputError when no candidate fits in HBM (naming the memory
// each needs), unless allow_oversubscribe. Simulates (in child processes): requires that this
// process has not started a SimGrid engine.
LayoutChoice choose_layout(const Scenario& scenario);

// "ffn_layout auto: ws-2d has the least simulated time among 5 candidates" and one line per
// candidate.
std::string ranking_text(const LayoutRanking& ranking);
// The ranking as the run JSON's `layout_ranking`: one object per candidate, in ranking order.
nlohmann::json ranking_json(const LayoutRanking& ranking);
// The run JSON's `layout_ranking` of a choice: ranking_json of the one ranking, or per phase
// {"prefill": [...], "decode": [...]} with the phases that were `auto`. Null without a ranking.
nlohmann::json choice_ranking_json(const LayoutChoice& choice);
// ranking_text of each ranking of the choice, and its note.
std::string choice_ranking_text(const LayoutChoice& choice);

}  // namespace podsim
