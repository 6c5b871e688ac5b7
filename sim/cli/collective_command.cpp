// `podsim collective`: one collective on a slice, simulated and beside its closed form.

#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "sim/analytic/collective_cost.hpp"
#include "sim/cli/cli_common.hpp"
#include "sim/cli/collective_options.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/progress.hpp"
#include "sim/cli/timeline_output.hpp"
#include "sim/report/html_content.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/program/algorithms.hpp"
#include "sim/program/fold.hpp"
#include "sim/core/env.hpp"
#include "sim/core/input_error.hpp"
#include "sim/core/progress_board.hpp"
#include "sim/program/task_budget.hpp"
#include "sim/replay/replay.hpp"

namespace podsim::cli {

namespace {

struct CollectiveArgs {
  CollectiveOptions collective{"4x4x4", "auto", "all-gather", "xyz", "64MiB"};
  OutputArgs out;    // -o, --format, --json (no value: JSON on stdout)
  int top_links = 5;
  TimelineArgs timeline;  // --perfetto, --html and what to keep
};

const OutputFormats kCollectiveFormats{{"text", "json"}, "json", false, false, "the result"};

int run_collective(const CollectiveArgs& args) {
  const ResolvedOutputs outputs = resolve_outputs(args.out, kCollectiveFormats);
  const auto [platform, shape, spec] = resolve_collective(args.collective);

  check_memory_available(collective_memory_need(spec, shape, process_replay_mode()),
                         fmt::format("{} over {} on {}", collective_kind_name(spec.kind),
                                     spec.axes.name(), shape.name()));
  // A twisted slice is compared with the plain one of the same shape: that simulation runs first,
  // in a forked child (one SimGrid engine per process), by the same plan rules (folded where it
  // is exact, so the plain 4x4x8 is fast).
  struct Untwisted {
    double simulated_s = 0, bound_s = 0;
    bool folded = false;
  };
  std::optional<Untwisted> untwisted;
  if (shape.twisted) {
    TorusShape plain_shape = shape;
    plain_shape.twisted = false;
    const std::vector<double> r = run_in_child([&]() {
      const Torus plain(plain_shape);
      const CollectivePlan p = plan_collective_replay(spec, plain, process_replay_mode(),
                                                      std::string(collective_kind_name(spec.kind)));
      const ReplayResult res = p.folded ? replay_folded(platform.chip, plain, p.group, p.program)
                                        : replay(platform.chip, plain, p.program, {});
      return std::vector<double>{res.makespan_s, p.folded ? 1.0 : 0.0};
    });
    untwisted = Untwisted{r.at(0), collective_estimate(spec, plain_shape, platform.chip).time_s,
                          r.at(1) != 0};
  }
  const Torus torus(shape);
  // Timelines from the fold too, where it holds strictly (fold.hpp, FoldPurpose::timeline): the
  // representatives' programs and records are expanded to every chip by translation.
  const ReplayMode mode = process_replay_mode();
  const bool timeline_wanted = args.timeline.wanted();
  const CollectivePlan plan =
      plan_collective_replay(spec, torus, mode, std::string(collective_kind_name(spec.kind)),
                             timeline_wanted ? FoldPurpose::timeline : FoldPurpose::replay);
  const Program& program = plan.program;
  const bool expand = plan.folded && timeline_wanted;
  const Program expanded = expand ? expand_folded(program, torus, plan.group) : Program(0);
  const Program& every_chip = expand ? expanded : program;
  const CollectiveEstimate estimate = collective_estimate(spec, shape, platform.chip);
  const bool a2a = spec.kind == CollectiveKind::all_to_all;
  const AllToAllBound a2a_bound = a2a ? all_to_all_bound(spec, shape, platform.chip) : AllToAllBound{};
  if (timeline_wanted)
    check_capture_size(every_chip, timeline_filter(args.timeline, torus.chip_count()),
                       args.timeline.max_events, false,
                       "this collective");
  ReplayResult result = [&]() {
    // Progress on stderr while it simulates (a large slice's all-to-all takes minutes).
    const RunProgress progress;
    progress_round({std::string(collective_kind_name(spec.kind))}, 1);
    return plan.folded ? replay_folded(platform.chip, torus, plan.group, program,
                                       capture_options(args.timeline))
                       : replay(platform.chip, torus, program, capture_options(args.timeline));
  }();
  if (timeline_wanted) {
    if (expand) result.tasks = expand_folded_records(result.tasks, torus, plan.group);
    Timeline timeline = collective_timeline(every_chip, torus, platform.chip, spec, result);
    write_timeline_outputs(timeline, timeline_filter(args.timeline, torus.chip_count()),
                           args.timeline, collective_html_report(timeline, spec, platform, result));
  }

  const double simulated_s = result.makespan_s;
  const double ratio = estimate.time_s > 0 ? simulated_s / estimate.time_s : 0;
  const double algorithm_bandwidth = static_cast<double>(spec.bytes) / simulated_s;
  const char* bound = estimate.latency_bound() ? "latency" : "bandwidth";

  std::vector<const LinkStats*> busiest;
  for (const LinkStats& s : result.links) busiest.push_back(&s);
  std::stable_sort(busiest.begin(), busiest.end(),
                   [](const LinkStats* a, const LinkStats* b) { return a->bytes > b->bytes; });

  const auto json_text = [&]() {
    nlohmann::json doc;
    doc["format_version"] = kJsonFormatVersion;
    doc["op"] = collective_kind_name(spec.kind);
    doc["axes"] = spec.axes.name();
    doc["shape"] = shape.name();
    doc["wraparound"] = wraps_name(shape);
    doc["bytes"] = spec.bytes;
    doc["algorithm"] = ring_algorithm_name(spec.algorithm);
    doc["multi_axis"] = multi_axis_name(spec.multi_axis);
    doc["platform"] = platform.name;
    doc["simulated_s"] = simulated_s;
    doc["analytic_s"] = estimate.time_s;
    doc["analytic_latency_s"] = estimate.latency_s;
    doc["analytic_bandwidth_s"] = estimate.bandwidth_s;
    doc["ratio"] = ratio;
    doc["analytic_kind"] = a2a ? "lower bound" : "closed form";
    doc["link_bytes_per_s"] = platform.chip.effective_ici_link_bytes_per_s();
    if (a2a)
      doc["bound_link"] = {
          {"link", torus.link_name(Torus::link_id(torus.chip(a2a_bound.at), a2a_bound.direction))},
          {"flows", a2a_bound.flows},
          {"min_hops", a2a_bound.min_hops},
          {"bytes", static_cast<double>(a2a_bound.flows) * static_cast<double>(a2a_bound.chunk_bytes)}};
    doc["algorithm_bytes_per_s"] = algorithm_bandwidth;
    doc["bound"] = bound;
    doc["transfers"] = result.transfers;
    doc["total_link_bytes"] = result.total_link_bytes;
    doc["replay"] = replay_name(plan.folded);
    if (plan.folded) doc["representatives"] = plan.group.representative_count();
    if (untwisted) {  // only for --twist (so that other outputs are unchanged)
      doc["twisted"] = true;
      doc["untwisted_simulated_s"] = untwisted->simulated_s;
      doc["untwisted_analytic_s"] = untwisted->bound_s;
      doc["untwisted_replay"] = replay_name(untwisted->folded);
      doc["twist_speedup"] = untwisted->simulated_s / simulated_s;
      doc["twist_analytic_speedup"] = estimate.time_s > 0 ? untwisted->bound_s / estimate.time_s : 0.0;
    }
    nlohmann::json links = nlohmann::json::array();
    for (const LinkStats& s : result.links)
      links.push_back({{"link", torus.link_name(s.link)},
                       {"bytes", s.bytes},
                       {"busy_fraction", simulated_s > 0 ? s.busy_s / simulated_s : 0.0},
                       {"peak_bytes_per_s", s.peak_bytes_per_s}});
    doc["links"] = std::move(links);
    return doc.dump(2) + "\n";
  };

  std::string text;
  text += fmt::format("{} over {} on {} (wraparound: {}), {} per chip\n",
                           collective_kind_name(spec.kind), spec.axes.name(), shape.name(),
                           wraps_name(shape), format_bytes(static_cast<double>(spec.bytes)));
  text += fmt::format("  algorithm          {} (multi-axis: {})\n",
                           ring_algorithm_name(spec.algorithm), multi_axis_name(spec.multi_axis));
  text += fmt::format("  simulated          {}\n", format_seconds(simulated_s));
  if (a2a) {
    text += fmt::format("  lower bound        {}   (simulated / bound = {:.4f}; never below 1)\n",
                             format_seconds(estimate.time_s), ratio);
    text += fmt::format(
        "                     from the routes: link {} carries {} chunks of {} from flows of {} "
        "hop{} or more,\n                     {} / {:.4g} GB/s = {} after {} of hop latency\n",
        torus.link_name(Torus::link_id(torus.chip(a2a_bound.at), a2a_bound.direction)), a2a_bound.flows,
        format_bytes(static_cast<double>(a2a_bound.chunk_bytes)), a2a_bound.min_hops,
        a2a_bound.min_hops == 1 ? "" : "s",
        format_bytes(static_cast<double>(a2a_bound.flows) * static_cast<double>(a2a_bound.chunk_bytes)),
        a2a_bound.link_bytes_per_s / 1e9, format_seconds(a2a_bound.bandwidth_s),
        format_seconds(a2a_bound.latency_s));
  } else {
    text += fmt::format("  closed form        {}   (simulated / closed form = {:.4f})\n",
                             format_seconds(estimate.time_s), ratio);
  }
  if (untwisted) {
    text += fmt::format("  untwisted          {}   (the plain {}x{}x{}, {} replay; {} {})\n",
                        format_seconds(untwisted->simulated_s), shape.dims[0], shape.dims[1],
                        shape.dims[2], replay_name(untwisted->folded),
                        a2a ? "lower bound" : "closed form", format_seconds(untwisted->bound_s));
    text += fmt::format("  twist speed-up     {:.3f}x simulated (untwisted / twisted); {:.3f}x by "
                        "the {}\n",
                        untwisted->simulated_s / simulated_s,
                        estimate.time_s > 0 ? untwisted->bound_s / estimate.time_s : 0.0,
                        a2a ? "lower bounds (most loaded link's bytes over its rate)"
                            : "closed forms (which assume the plain torus's one-hop ring steps)");
  }
  text += fmt::format("  rates              links {:.4g} GB/s each way (effective: {:.4g} GB/s x "
                           "ici_efficiency {:.3g}), {} per hop;\n                     the replay's and "
                           "the closed form's; a link's load below is its bytes over them\n",
                           platform.chip.effective_ici_link_bytes_per_s() / 1e9,
                           platform.chip.ici_link_bytes_per_s / 1e9, platform.chip.ici_efficiency,
                           format_seconds(platform.chip.ici_hop_latency_s));
  text += fmt::format("  algorithm bw       {:.4g} GB/s (bytes per chip / simulated time)\n",
                           algorithm_bandwidth / 1e9);
  text += fmt::format("  limited by         {} (latency {} vs bandwidth {})\n", bound,
                           format_seconds(estimate.latency_s), format_seconds(estimate.bandwidth_s));
  text += fmt::format("  transfers          {} point-to-point messages\n", result.transfers);
  text += fmt::format("  replay             {}{}\n", replay_name(plan.folded),
                           !plan.folded ? " (" + plan.reason + ")"
                           : plan.group.representative_count() == 1
                               ? std::string(" (one representative chip, exact by symmetry)")
                           : plan.group.folded().empty()
                               ? " (" + plan.group.describe() + ": every chip its own)"
                               : " (" + plan.group.describe() + ", exact by symmetry)");
  text += fmt::format("  links              {} directed links carried {} in all\n",
                           result.links.size(), format_bytes(result.total_link_bytes));
  for (int i = 0; i < args.top_links && i < static_cast<int>(busiest.size()); ++i) {
    const LinkStats& s = *busiest[i];
    if (s.bytes <= 0) break;
    text += fmt::format(
        "    {:<16} {:>12}  busy {:5.1f}% of the time, load {:5.1f}% of the effective rate\n",
        torus.link_name(s.link), format_bytes(s.bytes), 100.0 * s.busy_s / simulated_s,
        100.0 * s.bytes / (platform.chip.effective_ici_link_bytes_per_s() * simulated_s));
  }
  emit_outputs(outputs, [&](const std::string& format) {
    return format == "json" ? json_text() : text;
  });
  return 0;
}

}  // namespace

Command add_collective_command(CLI::App& app) {
  auto args = std::make_shared<CollectiveArgs>();
  CLI::App* sub = app.add_subcommand(
      "collective", "Simulate one collective on a slice and compare it with its closed form");
  add_collective_options(sub, args->collective);
  add_output_options(sub, args->out, kCollectiveFormats);
  // `--json` without a value: JSON on stdout (checked after parsing, so that the help shows no
  // default that is not one).
  CLI::Option* json = sub->add_option("--json", args->out.json,
                                      "Also write the result as JSON to FILE; without FILE, on "
                                      "stdout (same as --format json)")
                          ->type_name("[FILE]")
                          ->expected(0, 1);
  sub->add_option("--top-links", args->top_links, "Busiest links to list in the text output")
      ->capture_default_str();
  add_timeline_options(sub, args->timeline, false);
  set_examples(sub, {"podsim collective --shape 4x4x4 --op all-to-all --axes xyz --bytes 4MiB"});
  return [args, json]() {
    if (json->count() > 0 && args->out.json.empty()) args->out.json = "-";
    return run_collective(*args);
  };
}

}  // namespace podsim::cli
