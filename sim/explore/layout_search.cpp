#include "sim/explore/layout_search.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/analytic/layout_cost.hpp"
#include "sim/core/check.hpp"
#include "sim/core/input_error.hpp"
#include "sim/core/logging.hpp"
#include "sim/workload/memory_plan.hpp"
#include "sim/workload/trace_generator.hpp"

namespace podsim {

namespace {

// ICI links a chip can drive at once in a 3D torus (FACTS.md §1: six links per chip), and the
// two of a single bidirectional ring: the best and worst case of the closed-form bound.
constexpr double kLinksBest = 6;
constexpr double kLinksWorst = 2;

struct Bounds {
  Seconds low = 0, high = 0;
};

// Closed-form bounds of the transformer layers over the whole run (see the header).
Bounds closed_form_bounds(const Scenario& s) {
  const ModelSpec& m = s.model;
  const ChipSpec& chip = s.platform.chip;
  const double n = double(s.chips());
  LayoutCostInputs in = layout_cost_inputs(s);
  const double weights = in.d_model * (in.ffn_in + in.ffn_out);  // elements per layer
  Bounds total;
  const auto add_pass = [&](double tokens, double passes) {
    in.tokens = tokens;
    const Seconds compute =
        2 * in.batch * tokens * weights / n / (chip.peak_flops_per_s * chip.mxu_efficiency);
    const Seconds memory =
        weights * in.weight_element_bytes / n / (chip.hbm_bytes_per_s * chip.hbm_efficiency);
    const double comm_bytes = layout_comm_volume(s.ffn_layout, s.shape, in).transfer_bytes();
    const BytesPerSecond link = chip.ici_link_bytes_per_s * chip.ici_efficiency;
    const Seconds comm_best = comm_bytes / (kLinksBest * link);
    const Seconds comm_worst = comm_bytes / (kLinksWorst * link);
    const double layers = double(m.layers) * passes;
    total.low += layers * std::max({compute, memory, comm_best});
    total.high += layers * (compute + memory + comm_worst);
  };
  if (s.phase != Phase::decode) add_pass(double(s.input_tokens), 1);
  if (s.phase != Phase::prefill) add_pass(1, double(s.generate_tokens));
  return total;
}

std::string layout_label(const LayoutRankEntry& e) {
  return fmt::format("{}{}", ffn_layout_name(e.layout), e.pad_heads ? " (padded heads)" : "");
}

}  // namespace

Scenario with_layout(const Scenario& scenario, FfnLayout layout, bool pad_heads) {
  Scenario s = scenario;
  s.ffn_layout = layout;
  s.pad_heads = pad_heads;
  s.layout_candidates.clear();
  return s;
}

LayoutRanking rank_layouts(const Scenario& scenario) {
  PODSIM_CHECK(!scenario.layout_candidates.empty(), "rank_layouts needs candidates");
  LayoutRanking ranking;
  std::vector<Scenario> scenarios;
  Seconds least_high = std::numeric_limits<double>::infinity();
  for (const Scenario::LayoutCandidate& c : scenario.layout_candidates) {
    scenarios.push_back(with_layout(scenario, c.layout, c.pad_heads));
    LayoutRankEntry e;
    e.layout = c.layout;
    e.pad_heads = c.pad_heads;
    const Bounds b = closed_form_bounds(scenarios.back());
    e.bound_low_s = b.low;
    e.bound_high_s = b.high;
    const MemoryPlan plan = plan_memory(scenarios.back());
    if (!plan.fits && !scenario.allow_oversubscribe) {
      e.status = "no-fit";
      e.reason = memory_refusal_message(scenarios.back(), plan);
    } else {
      least_high = std::min(least_high, b.high);
    }
    ranking.entries.push_back(e);
  }
  if (!std::isfinite(least_high)) {
    std::string needs;
    for (std::size_t i = 0; i < ranking.entries.size(); ++i)
      needs += fmt::format("{}{} {:.2f} GiB", i == 0 ? "" : ", ",
                           ffn_layout_name(ranking.entries[i].layout),
                           double(plan_memory(scenarios[i]).total_bytes()) / double(kGiB));
    throw InputError(
        scenario.location_of("ffn_layout"), "ffn_layout",
        fmt::format("auto: no layout fits in the {:.2f} GiB of HBM per chip (needs {}); use more "
                    "chips, int8 weights or a smaller batch, or --allow-oversubscribe",
                    double(scenario.platform.chip.hbm_bytes) / double(kGiB), needs));
  }
  std::vector<std::optional<TraceTiming>> timings(ranking.entries.size());
  for (std::size_t i = 0; i < ranking.entries.size(); ++i) {
    LayoutRankEntry& e = ranking.entries[i];
    if (!e.status.empty()) continue;
    if (e.bound_low_s > kPruneFactor * least_high) {
      e.status = "pruned";
      e.reason = fmt::format(
          "closed form: at least {:.4g} s, over {} x the best worst case {:.4g} s", e.bound_low_s,
          kPruneFactor, least_high);
      continue;
    }
    const Trace trace = generate_trace(scenarios[i]);
    timings[i] = simulate_trace(trace, false);
    for (std::size_t k = 0; k < trace.steps.size(); ++k)
      (trace.steps[k].phase == "prefill" ? e.prefill_s : e.decode_s) += timings[i]->step_s[k];
    e.total_s = e.prefill_s + e.decode_s;
    e.status = "simulated";
    logger("replay")->info("ffn_layout auto: {} simulated {:.6g} s", layout_label(e), e.total_s);
  }
  // Simulated by total time (ties keep the candidate order), then pruned, then no-fit.
  const auto rank_of = [](const std::string& status) {
    return status == "simulated" ? 0 : status == "pruned" ? 1 : 2;
  };
  std::vector<std::size_t> order(ranking.entries.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const LayoutRankEntry& x = ranking.entries[a];
    const LayoutRankEntry& y = ranking.entries[b];
    if (rank_of(x.status) != rank_of(y.status)) return rank_of(x.status) < rank_of(y.status);
    return x.total_s < y.total_s;
  });
  std::vector<LayoutRankEntry> sorted;
  for (std::size_t i : order) sorted.push_back(ranking.entries[i]);
  ranking.chosen_timing = timings[order.front()];
  ranking.entries = std::move(sorted);
  return ranking;
}

std::string ranking_text(const LayoutRanking& ranking) {
  std::string out;
  if (ranking.empty()) return out;
  const LayoutRankEntry& best = ranking.entries.front();
  out += fmt::format("ffn_layout auto: {} has the least simulated time among {} candidates\n",
                     layout_label(best), ranking.entries.size());
  int rank = 0;
  for (const LayoutRankEntry& e : ranking.entries) {
    if (e.status == "simulated")
      out += fmt::format("  {}. {:<22} {:>10.4f} s  (prefill {:.4f} s, decode {:.4f} s; x{:.3f})\n",
                         ++rank, layout_label(e), e.total_s, e.prefill_s, e.decode_s,
                         e.total_s / best.total_s);
    else
      out += fmt::format("  -  {:<22} {}: {}\n", layout_label(e), e.status, e.reason);
  }
  return out;
}

}  // namespace podsim
