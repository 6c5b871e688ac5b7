#include "sim/report/html_content.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "sim/analytic/collective_cost.hpp"
#include "sim/core/quantity_parse.hpp"

namespace podsim {

HtmlReport run_html_report(const Trace& trace, const RunMetrics& metrics) {
  const Scenario& s = trace.scenario;
  HtmlReport report;
  report.title = fmt::format("podsim run: {}", scenario_summary(s));
  const nlohmann::json doc = metrics_json(trace, metrics);
  // The resolved slice, model and platform first (the JSON keeps them as objects).
  report.scenario.emplace_back("model", s.model.name);
  report.scenario.emplace_back("topology", s.shape.name());
  report.scenario.emplace_back("chips", std::to_string(s.chips()));
  report.scenario.emplace_back("platform", s.platform.name);
  for (const auto& [key, value] : doc["scenario"].items())
    if (!value.is_object() && !value.is_array())
      report.scenario.emplace_back(key, value.is_string() ? value.get<std::string>() : value.dump());
    else if (value.is_object() && value.contains("prefill") && value.contains("decode"))
      report.scenario.emplace_back(  // a layout per phase
          key, fmt::format("prefill {}, decode {}", value["prefill"].get<std::string>(),
                           value["decode"].get<std::string>()));
  const auto ms = [](Seconds t) { return format_seconds(t, TimeUnit::ms); };
  if (!s.platform.calibrated)
    report.headline.emplace_back("UNCALIBRATED platform", uncalibrated_note(s.platform));
  if (doc.contains("token_split"))
    report.headline.emplace_back("token split", doc["token_split"].get<std::string>());
  if (metrics.prefill_s > 0)
    report.headline.emplace_back("prefill latency", fmt::format("{} (MFU {:.1f}%)", ms(metrics.prefill_s),
                                                                100 * metrics.prefill_mfu));
  if (s.per_phase()) {
    const nlohmann::json& t = doc["transition"];
    report.headline.emplace_back(
        "transition",
        t.contains("axes")
            ? fmt::format("KV cache {} -> {}: {} over {} of {} per chip, {}; weights stay",
                          t["kv_from"].get<std::string>(), t["kv_to"].get<std::string>(),
                          t["kv_cache"].get<std::string>(), t["axes"].get<std::string>(),
                          format_bytes(t["bytes_per_chip"].get<double>()),
                          ms(metrics.transition_s))
            : fmt::format("KV cache {} -> {}: {}; weights stay", t["kv_from"].get<std::string>(),
                          t["kv_to"].get<std::string>(),
                          t["kv_cache"].get<std::string>() == "none" ? "same sharding, nothing moves"
                                                                     : "kept in place, nothing moves"));
  }
  if (!metrics.mixed_steps_s.empty()) {
    report.headline.emplace_back(
        "time to first token",
        fmt::format("{} (the {}-token prompt in {} chunks of up to {}, beside the decode batch)",
                    ms(metrics.time_to_first_token_s), s.prompt_tokens,
                    metrics.mixed_steps_s.size(), s.chunk_tokens));
    report.headline.emplace_back(
        "mixed step",
        metrics.decode_only_step_s > 0
            ? fmt::format("{} ({:.3f}x the decode-only step of {})", ms(metrics.mixed_step_s),
                          metrics.mixed_step_s / metrics.decode_only_step_s,
                          ms(metrics.decode_only_step_s))
            : ms(metrics.mixed_step_s));
  }
  if (!metrics.decode_steps_s.empty()) {
    report.headline.emplace_back("decode step", ms(metrics.decode_step_s));
    report.headline.emplace_back("decode total", fmt::format("{} (MFU {:.1f}%)", ms(metrics.decode_s),
                                                             100 * metrics.decode_mfu));
  }
  report.headline.emplace_back("total latency",
                               fmt::format("{} (MFU {:.1f}%)", ms(metrics.total_s), 100 * metrics.mfu));
  report.headline.emplace_back("cost", fmt::format("{:.4g} chip-ms per token",
                                                   1e3 * metrics.cost_chip_s_per_token));
  report.headline.emplace_back(
      "memory per chip",
      fmt::format("{} of {} HBM{}", format_bytes(static_cast<double>(metrics.memory.total_bytes())),
                  format_bytes(static_cast<double>(metrics.memory.hbm_bytes)),
                  metrics.memory.fits ? "" : " (does not fit: simulated anyway)"));
  report.headline.emplace_back("simulation path", metrics.path);
  const Breakdown& b = metrics.breakdown;
  report.breakdown_title = "Breakdown of the whole run";
  report.breakdown = {{"MXU compute", b.compute_s},
                      {"weight loading", b.weight_load_s},
                      {"KV-cache loading", b.kv_load_s},
                      {"exposed communication", b.exposed_comm_s},
                      {"other", b.other_s}};
  report.notes.push_back(
      "The headline and breakdown cover the whole run; the timeline below covers what was "
      "captured (see 'Timeline captured').");
  return report;
}

Timeline collective_timeline(const Program& program, const Torus& torus, const ChipSpec& chip,
                             const CollectiveSpec& spec, const ReplayResult& result) {
  return build_timeline(program, torus, chip, result,
                        fmt::format("in-process simulation of the whole {} over {} on {} (every "
                                    "transfer)",
                                    collective_kind_name(spec.kind), spec.axes.name(),
                                    torus.shape().name()));
}

HtmlReport collective_html_report(const Timeline& timeline, const CollectiveSpec& spec,
                             const Platform& platform, const ReplayResult& result) {
  const CollectiveEstimate estimate = collective_estimate(spec, timeline.shape, platform.chip);
  const bool a2a = spec.kind == CollectiveKind::all_to_all;
  HtmlReport report;
  report.title = fmt::format("podsim: {} over {} on {}, {} per chip", collective_kind_name(spec.kind),
                             spec.axes.name(), timeline.shape.name(),
                             format_bytes(static_cast<double>(spec.bytes)));
  std::string wraps;
  for (Axis a : kAxes)
    if (timeline.shape.wrapped(a)) wraps += axis_name(a);
  report.scenario = {{"op", std::string(collective_kind_name(spec.kind))},
                     {"axes", spec.axes.name()},
                     {"shape", timeline.shape.name()},
                     {"wraparound", wraps.empty() ? "none" : wraps},
                     {"bytes per chip", fmt::format("{} ({} B)", format_bytes(static_cast<double>(spec.bytes)), spec.bytes)},
                     {"algorithm", std::string(ring_algorithm_name(spec.algorithm))},
                     {"multi-axis", std::string(multi_axis_name(spec.multi_axis))},
                     {"platform", platform.name},
                     {"link rate", fmt::format("{:.4g} GB/s per direction, effective: {:.4g} GB/s peak x "
                                               "ici_efficiency {:.3g} (the replay's and the closed "
                                               "form's; loads below are against it)",
                                               platform.chip.effective_ici_link_bytes_per_s() / 1e9,
                                               platform.chip.ici_link_bytes_per_s / 1e9,
                                               platform.chip.ici_efficiency)},
                     {"hop latency", format_seconds(platform.chip.ici_hop_latency_s)}};
  const double simulated = result.makespan_s;
  report.headline = {
      {"simulated", format_seconds(simulated)},
      {a2a ? "lower bound" : "closed form",
       fmt::format("{} (latency {} + bandwidth {}){}", format_seconds(estimate.time_s),
                   format_seconds(estimate.latency_s), format_seconds(estimate.bandwidth_s),
                   a2a ? ": the most loaded link's bytes from flows that can start by then, over "
                         "the effective rate, after their hop latency"
                       : "")},
      {a2a ? "simulated / bound" : "simulated / closed form",
       fmt::format("{:.4f}", estimate.time_s > 0 ? simulated / estimate.time_s : 0)},
      {"limited by", estimate.latency_bound() ? "latency" : "bandwidth"},
      {"algorithm bandwidth", fmt::format("{:.4g} GB/s (bytes per chip / simulated time)",
                                          static_cast<double>(spec.bytes) / simulated / 1e9)},
      {"transfers", fmt::format("{} point-to-point messages", result.transfers)},
      {"link bytes", fmt::format("{} over {} directed links", format_bytes(result.total_link_bytes),
                                 result.links.size())}};
  report.breakdown_title =
      a2a ? "Simulated time against the lower bound" : "Simulated time against the closed form";
  report.breakdown = {{a2a ? "bound: latency" : "closed-form latency", estimate.latency_s},
                      {a2a ? "bound: bandwidth" : "closed-form bandwidth",
                       std::min(estimate.bandwidth_s, simulated)},
                      {a2a ? "above the bound (flows sharing other links of their routes)"
                           : "beyond the closed form (contention, mesh, overlap)",
                       std::max(0.0, simulated - estimate.time_s)}};
  return report;
}

}  // namespace podsim
