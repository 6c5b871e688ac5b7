#include "sim/explore/layout_search.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "sim/analytic/layout_cost.hpp"
#include "sim/core/check.hpp"
#include "sim/core/input_error.hpp"
#include "sim/core/logging.hpp"
#include "sim/workload/memory_plan.hpp"
#include "sim/workload/step_generator.hpp"
#include "sim/workload/trace_generator.hpp"

namespace podsim {

namespace {

// The inputs of the paper's closed-form layout costs (analytic/layout_cost) for this scenario:
// its model's fused FFN widths with the heads it uses, weight element size and batch; `tokens`
// is left for the caller (a prefill pass or a decode step).
LayoutCostInputs layout_cost_inputs(const Scenario& s) {
  const ModelSpec& m = s.model;
  const double hq = double(s.heads_used() * m.d_head);
  LayoutCostInputs in;
  in.d_model = double(m.d_model);
  in.ffn_in = double(m.ffn_in_width()) + hq;
  in.ffn_out = double(m.d_ff) + hq;
  in.weight_element_bytes = double(weight_element_bytes(s.weights));
  in.batch = double(s.batch);
  return in;
}

// Closed-form bounds of the transformer layers over the whole run: the prefill pass and one pass
// per decode step, each model.layers x analytic/layout_cost's layer_time_bounds.
LayerTimeBounds run_time_bounds(const Scenario& s) {
  LayoutCostInputs in = layout_cost_inputs(s);
  LayerTimeBounds total;
  const auto add_pass = [&](double tokens, double passes) {
    in.tokens = tokens;
    const LayerTimeBounds layer = layer_time_bounds(s.ffn_layout, s.shape, in, s.platform.chip);
    const double layers = double(s.model.layers) * passes;
    total.low_s += layers * layer.low_s;
    total.high_s += layers * layer.high_s;
  };
  if (s.phase == Phase::prefill || s.phase == Phase::generate) add_pass(double(s.input_tokens), 1);
  // Mixed: its first mixed_steps() passes also carry a chunk (as rows beside the batch's).
  const double mixed = double(s.mixed_steps());
  if (mixed > 0) add_pass(1 + double(s.chunk_tokens) / double(s.batch), mixed);
  if (s.phase != Phase::prefill) add_pass(1, double(s.generate_tokens) - mixed);
  return total;
}

std::string layout_label(const LayoutRankEntry& e) {
  std::string notes = e.pad_heads ? "padded heads" : "";
  if (!e.token_axes.empty())
    notes += fmt::format("{}tokens over {}", notes.empty() ? "" : ", ", e.token_axes);
  return fmt::format("{}{}", ffn_layout_name(e.layout),
                     notes.empty() ? "" : fmt::format(" ({})", notes));
}

// Ranks the candidates (see the header): simulated by total time (ties keep the candidate
// order), then pruned, then no-fit.
LayoutRanking rank_layouts(const Scenario& scenario, const std::vector<Scenario>& candidates) {
  LayoutRanking ranking;
  Seconds least_high = std::numeric_limits<double>::infinity();
  std::vector<MemoryPlan> plans;
  for (const Scenario& c : candidates) {
    LayoutRankEntry e;
    e.layout = c.ffn_layout;
    e.pad_heads = c.pad_heads;
    e.token_axes = nontrivial_axes(scenario_sharding(c).tokens, c.shape).name();
    const LayerTimeBounds b = run_time_bounds(c);
    e.bound_low_s = b.low_s;
    e.bound_high_s = b.high_s;
    plans.push_back(plan_memory(c));
    if (!plans.back().fits && !scenario.allow_oversubscribe) {
      e.status = RankStatus::no_fit;
      e.reason = memory_refusal_message(c, plans.back());
    } else {
      least_high = std::min(least_high, b.high_s);
    }
    ranking.entries.push_back(e);
  }
  if (!std::isfinite(least_high)) {
    std::string needs;
    for (std::size_t i = 0; i < ranking.entries.size(); ++i)
      needs += fmt::format("{}{} {:.2f} GiB", i == 0 ? "" : ", ",
                           ffn_layout_name(ranking.entries[i].layout),
                           double(plans[i].total_bytes()) / double(kGiB));
    throw InputError(
        scenario.location_of("ffn_layout"), "ffn_layout",
        fmt::format("auto: no layout fits in the {:.2f} GiB of HBM per chip (needs {}); use more "
                    "chips, int8 weights or a smaller batch, or --allow-oversubscribe",
                    double(scenario.platform.chip.hbm_bytes) / double(kGiB), needs));
  }
  std::vector<std::optional<TraceTiming>> timings(ranking.entries.size());
  for (std::size_t i = 0; i < ranking.entries.size(); ++i) {
    LayoutRankEntry& e = ranking.entries[i];
    if (e.status == RankStatus::no_fit) continue;
    if (e.bound_low_s > kPruneFactor * least_high) {
      e.status = RankStatus::pruned;
      e.reason = fmt::format(
          "closed form: at least {:.4g} s, over {} x the best worst case {:.4g} s", e.bound_low_s,
          kPruneFactor, least_high);
      continue;
    }
    const Trace trace = generate_trace(candidates[i]);
    timings[i] = simulate_trace(trace, false);
    for (std::size_t k = 0; k < trace.steps.size(); ++k)
      (trace.steps.phase(k) == Phase::prefill ? e.prefill_s : e.decode_s) +=
          timings[i]->step_s[k];
    e.total_s = e.prefill_s + e.decode_s;
    e.status = RankStatus::simulated;
    logger("replay")->info("ffn_layout auto: {} simulated {:.6g} s", layout_label(e), e.total_s);
  }
  std::vector<std::size_t> order(ranking.entries.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const LayoutRankEntry& x = ranking.entries[a];
    const LayoutRankEntry& y = ranking.entries[b];
    if (x.status != y.status) return x.status < y.status;
    return x.total_s < y.total_s;
  });
  std::vector<LayoutRankEntry> sorted;
  for (std::size_t i : order) sorted.push_back(ranking.entries[i]);
  ranking.chosen_timing = timings[order.front()];
  ranking.entries = std::move(sorted);
  return ranking;
}

}  // namespace

std::string_view rank_status_name(RankStatus status) {
  switch (status) {
    case RankStatus::simulated:
      return "simulated";
    case RankStatus::pruned:
      return "pruned";
    case RankStatus::no_fit:
      return "no-fit";
  }
  return "?";
}

namespace {

// One phase of a per-phase scenario on its own, for ranking that phase's `auto`: the prefill as a
// prefill scenario, the decode steps as a decode scenario over the prompt's cache.
Scenario phase_alone(const Scenario& s, Phase phase) {
  Scenario p = phase_scenario(s, phase);
  p.phase = phase;
  if (phase == Phase::prefill) p.generate_tokens = 0;
  return p;
}

// The layouts a phase may take: the one given, or every layout when it is `auto`.
std::vector<FfnLayout> phase_options(const Scenario& s, Phase phase) {
  const Scenario p = phase_scenario(s, phase);
  if (!p.ffn_layout_auto) return {p.ffn_layout};
  return std::vector<FfnLayout>(kFfnLayouts.begin(), kFfnLayouts.end());
}

// `s` with the prefill's and the decode's layouts set and pad_heads resolved.
Scenario with_layouts(const Scenario& s, FfnLayout prefill, FfnLayout decode) {
  Scenario c = s;
  c.ffn_layout_auto = false;
  c.ffn_layout = prefill;
  c.decode_layout->ffn_layout_auto = false;
  c.decode_layout->ffn_layout = decode;
  resolve_pad_heads(c);
  return c;
}

// Whether a decided per-phase scenario can run: each phase shards, the weights are stored alike
// and the KV cache's move can be lowered.
bool pair_applies(const Scenario& c) {
  if (sharding_problem(phase_scenario(c, Phase::prefill), false) ||
      sharding_problem(phase_scenario(c, Phase::decode), true) || weight_layout_problem(c))
    return false;
  try {
    kv_transition(c);
  } catch (const InputError&) {
    return false;
  }
  return true;
}

// The simulated time of the KV cache's move between the phases of the decided pair `c`
// (step_generator's transition_step), 0 when nothing moves. Simulated on its own on the fast path,
// as the run simulates it; cached by the move (from, to, bytes), which pairs often share.
Seconds transition_seconds(const Scenario& c, std::map<std::string, Seconds>& cache) {
  const KvTransition move = kv_transition(c);
  const std::string key = fmt::format("{}|{}|{}|{}", kv_transition_kind_name(move.kind), move.from,
                                      move.to, move.bytes_per_layer);
  if (const auto hit = cache.find(key); hit != cache.end()) return hit->second;
  Seconds seconds = 0;
  if (std::optional<StepTrace> step = transition_step(c)) {
    Trace trace;
    trace.scenario = c;
    trace.memory = plan_memory(c);
    trace.steps.push_back(std::move(*step));
    seconds = simulate_trace(trace, false).step_s.front();
    logger("replay")->info("ffn_layout auto: the KV cache's move {} -> {} simulated {:.6g} s",
                           move.from, move.to, seconds);
  }
  cache.emplace(key, seconds);
  return seconds;
}

LayoutChoice choose_per_phase(const Scenario& s) {
  LayoutChoice choice;
  // Per phase: the simulated time of each layout it may take (0 for a given layout).
  std::vector<std::pair<const LayoutRankEntry*, FfnLayout>> pre, dec;
  const LayoutRankEntry given{};
  const auto rank_phase = [&](Phase phase, std::optional<LayoutRanking>& ranking,
                              std::vector<std::pair<const LayoutRankEntry*, FfnLayout>>& out) {
    const Scenario alone = phase_alone(s, phase);
    if (!alone.ffn_layout_auto) {
      out.emplace_back(&given, alone.ffn_layout);
      return;
    }
    ranking = rank_layouts(alone, layout_candidates(alone));
    ranking->label = fmt::format("ffn_layout.{}", phase_name(phase));
    ranking->chosen_timing.reset();  // the run simulates both phases together
  };
  rank_phase(Phase::prefill, choice.ranking, pre);
  rank_phase(Phase::decode, choice.decode_ranking, dec);
  for (const auto& [ranking, out] : {std::pair{&choice.ranking, &pre},
                                     std::pair{&choice.decode_ranking, &dec}})
    if (*ranking)
      for (const LayoutRankEntry& e : (*ranking)->entries)
        if (e.status == RankStatus::simulated) out->emplace_back(&e, e.layout);
  // The pair with the least prefill + move of the KV cache + decode. A move is simulated only
  // for pairs whose two phases alone could still beat the best pair found so far.
  std::optional<Scenario> best;
  Seconds best_s = std::numeric_limits<double>::infinity();
  std::map<std::string, Seconds> moves;
  for (const auto& [a, la] : pre)
    for (const auto& [b, lb] : dec) {
      const Scenario c = with_layouts(s, la, lb);
      if (a->total_s + b->total_s >= best_s || !pair_applies(c)) continue;
      const Seconds move_s = transition_seconds(c, moves);
      const Seconds t = a->total_s + b->total_s + move_s;
      if (t < best_s) {
        best_s = t;
        best = c;
        choice.transition_s = move_s;
      }
    }
  if (!best)
    throw InputError(s.location_of("ffn_layout"), "ffn_layout",
                     "auto per phase: no simulated pair of a prefill layout and a decode layout "
                     "stores the weights alike and shards the scenario; give the layouts");
  for (const auto& [ranking, phase] : {std::pair{&choice.ranking, Phase::prefill},
                                       std::pair{&choice.decode_ranking, Phase::decode}}) {
    if (!*ranking) continue;
    const FfnLayout top = (*ranking)->entries.front().layout;
    const FfnLayout took = phase_scenario(*best, phase).ffn_layout;
    if (top == took) continue;
    Scenario other = *best;  // the phase's own best beside the other phase's choice
    (phase == Phase::prefill ? other.ffn_layout : other.decode_layout->ffn_layout) = top;
    resolve_pad_heads(other);
    if (!pair_applies(other))
      choice.note += fmt::format(
          "{} auto: {} instead of the faster {}, whose stored weights the other phase's layout "
          "does not share\n",
          phase_name(phase), ffn_layout_name(took), ffn_layout_name(top));
    else
      choice.note += fmt::format(
          "{} auto: {} instead of the faster {}, whose KV cache would take {:.4g} s to move to "
          "the other phase's layout (with {}: {:.4g} s)\n",
          phase_name(phase), ffn_layout_name(took), ffn_layout_name(top),
          transition_seconds(other, moves), ffn_layout_name(took), choice.transition_s);
  }
  validate_scenario(*best);
  choice.scenario = *best;
  return choice;
}

}  // namespace

std::vector<Scenario> layout_candidates(const Scenario& scenario) {
  std::vector<Scenario> candidates;
  if (scenario.per_phase()) {
    for (FfnLayout a : phase_options(scenario, Phase::prefill))
      for (FfnLayout b : phase_options(scenario, Phase::decode)) {
        Scenario c = with_layouts(scenario, a, b);
        if (!pair_applies(c)) continue;
        validate_scenario(c);
        candidates.push_back(std::move(c));
      }
    if (candidates.empty())
      validate_scenario(with_layouts(scenario, phase_options(scenario, Phase::prefill).front(),
                                     phase_options(scenario, Phase::decode).front()));
    if (candidates.empty())
      throw InputError(scenario.location_of("ffn_layout"), "ffn_layout",
                       "no pair of a prefill layout and a decode layout shards the scenario and "
                       "stores the weights alike");
    return candidates;
  }
  for (FfnLayout layout : kFfnLayouts) {
    Scenario c = scenario;
    c.ffn_layout_auto = false;
    c.ffn_layout = layout;
    resolve_pad_heads(c);
    if (sharding_problem(c) || mixed_problem(c)) continue;
    validate_scenario(c);  // the layout-independent checks
    candidates.push_back(std::move(c));
  }
  if (candidates.empty()) {
    Scenario fallback = scenario;
    fallback.ffn_layout_auto = false;
    fallback.ffn_layout = FfnLayout::ws_2d;
    resolve_pad_heads(fallback);
    validate_scenario(fallback);  // throws: says what the default layout needs
    PODSIM_CHECK(false, "no layout shards the scenario, yet ws-2d validates");
  }
  return candidates;
}

LayoutChoice choose_layout(const Scenario& scenario) {
  if (scenario.per_phase()) {
    if (!scenario.layout_undecided()) return LayoutChoice{scenario, std::nullopt, std::nullopt, ""};
    return choose_per_phase(scenario);
  }
  if (!scenario.ffn_layout_auto) return LayoutChoice{scenario, std::nullopt, std::nullopt, ""};
  LayoutRanking ranking = rank_layouts(scenario, layout_candidates(scenario));
  const LayoutRankEntry& best = ranking.entries.front();
  Scenario chosen = scenario;
  chosen.ffn_layout_auto = false;
  chosen.ffn_layout = best.layout;
  chosen.pad_heads = best.pad_heads;
  return LayoutChoice{std::move(chosen), std::move(ranking), std::nullopt, ""};
}

std::string ranking_text(const LayoutRanking& ranking) {
  std::string out;
  if (ranking.empty()) return out;
  const LayoutRankEntry& best = ranking.entries.front();
  out += fmt::format("{} auto: {} has the least simulated time among {} candidates\n",
                     ranking.label, layout_label(best), ranking.entries.size());
  int rank = 0;
  // Labels padded to 22 characters, or to the longest (a token split's are longer).
  std::size_t width = 22;
  for (const LayoutRankEntry& e : ranking.entries) width = std::max(width, layout_label(e).size());
  for (const LayoutRankEntry& e : ranking.entries) {
    if (e.status == RankStatus::simulated)
      out += fmt::format("  {}. {:<{}} {:>10.4f} s  ({}x{:.3f})\n", ++rank, layout_label(e), width,
                         e.total_s,
                         e.prefill_s > 0 && e.decode_s > 0
                             ? fmt::format("prefill {:.4f} s, decode {:.4f} s; ", e.prefill_s,
                                           e.decode_s)
                             : std::string(),
                         e.total_s / best.total_s);
    else
      out += fmt::format("  -  {:<{}} {}: {}\n", layout_label(e), width,
                         rank_status_name(e.status), e.reason);
  }
  return out;
}

nlohmann::json ranking_json(const LayoutRanking& ranking) {
  nlohmann::json rows = nlohmann::json::array();
  for (const LayoutRankEntry& e : ranking.entries) {
    nlohmann::json row = {{"ffn_layout", ffn_layout_name(e.layout)},
                          {"pad_heads", e.pad_heads},
                          {"status", rank_status_name(e.status)},
                          {"bound_low_s", e.bound_low_s},
                          {"bound_high_s", e.bound_high_s}};
    if (!e.token_axes.empty()) row["token_split"] = e.token_axes;  // other rankings unchanged
    if (e.status == RankStatus::simulated) {
      row["prefill_s"] = e.prefill_s;
      row["decode_s"] = e.decode_s;
      row["total_s"] = e.total_s;
    } else {
      row["reason"] = e.reason;
    }
    rows.push_back(row);
  }
  return rows;
}

nlohmann::json choice_ranking_json(const LayoutChoice& choice) {
  if (!choice.scenario.per_phase()) return choice.ranking ? ranking_json(*choice.ranking) : nullptr;
  nlohmann::json j = nlohmann::json::object();
  if (choice.ranking) j["prefill"] = ranking_json(*choice.ranking);
  if (choice.decode_ranking) j["decode"] = ranking_json(*choice.decode_ranking);
  return j.empty() ? nlohmann::json(nullptr) : j;
}

std::string choice_ranking_text(const LayoutChoice& choice) {
  std::string out;
  if (choice.ranking) out += ranking_text(*choice.ranking);
  if (choice.decode_ranking) out += ranking_text(*choice.decode_ranking);
  return out + choice.note;
}

}  // namespace podsim
