// `podsim explain`: teaching mode. Simulates one collective (or a Looped CollectiveEinsum), then
// walks through it step by step from the simulated events (sim/report/timeline_explain.hpp);
// --html writes the same as a page that animates the steps on the torus picture; -o/--format
// json writes it as data (docs/outputs.md), as every command does (cli_common.hpp).

#include <fmt/format.h>

#include <cmath>
#include <iostream>

#include "sim/cli/cli_common.hpp"
#include "sim/cli/collective_options.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/timeline_output.hpp"
#include "sim/core/input_error.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/program/algorithms.hpp"
#include "sim/program/fold.hpp"
#include "sim/program/looped_einsum.hpp"
#include "sim/replay/replay.hpp"
#include "sim/report/html_content.hpp"
#include "sim/report/timeline.hpp"
#include "sim/report/timeline_explain.hpp"
#include "sim/workload/op_cost.hpp"

namespace podsim::cli {

namespace {

struct ExplainArgs {
  CollectiveOptions collective{"4x4x1", "auto", "all-gather", "x", "1MiB"};
  TimelineArgs timeline;
  OutputArgs out;  // -o, --format
  std::string group = "0";
  std::string steps;
  std::string einsum_flops;
};

const OutputFormats kExplainFormats{{"text", "json"}, "json", false, false, "the walk-through"};

// The walk-through in every format asked for: the text as printed, or the JSON of what ran (the
// fields `podsim collective` names it with) and of the explanation.
void emit_explanation(const ResolvedOutputs& outputs, const ExplainArgs& args,
                      const ResolvedCollective& what, const Torus& torus, const Explanation& ex,
                      const nlohmann::json& extra) {
  emit_outputs(outputs, [&](const std::string& format) {
    if (format != "json") return ex.text;
    nlohmann::json doc = explanation_json(ex, torus);
    doc["format_version"] = kJsonFormatVersion;
    doc["op"] = args.collective.op;
    doc["axes"] = what.spec.axes.name();
    doc["shape"] = what.shape.name();
    doc["wraparound"] = wraps_name(what.shape);
    doc["bytes"] = what.spec.bytes;
    doc["algorithm"] = ring_algorithm_name(what.spec.algorithm);
    doc["multi_axis"] = multi_axis_name(what.spec.multi_axis);
    doc["platform"] = what.platform.name;
    doc["replay"] = "per-chip";
    doc["link_bytes_per_s"] = what.platform.chip.effective_ici_link_bytes_per_s();
    doc["hop_latency_s"] = what.platform.chip.ici_hop_latency_s;
    doc["closed_form_kind"] = ex.closed_form_is_bound ? "lower bound" : "closed form";
    doc.update(extra);
    return doc.dump(2) + "\n";
  });
}

// Explanations are for looking at: a slice this large would list more than anyone reads.
constexpr long long kMaxExplainTransfers = 200'000;

ExplainOptions explain_options(const ExplainArgs& args) {
  ExplainOptions o;
  if (args.group == "all") {
    o.group = -1;
  } else {
    try {
      std::size_t used = 0;
      o.group = std::stoi(args.group, &used);
      if (used != args.group.size() || o.group < 0) throw std::invalid_argument("group");
    } catch (const std::exception&) {
      throw InputError("--group", fmt::format("'{}' is not a group: give its index (0, 1, ...) "
                                              "or all", args.group));
    }
  }
  if (!args.steps.empty()) {
    const auto [a, b] = parse_index_range(args.steps, "--steps");
    o.first_step = a < 1 ? 1 : a;
    o.last_step = b;
    if (b == 0) o.first_step = 0;  // "0" or ":0": nothing to list (refused by the explainer)
  }
  return o;
}

void check_transfers(const Program& program) {
  std::size_t sends = 0;
  for (const ChipProgram& c : program.chips)
    for (const Task& t : c.tasks) sends += t.kind == TaskKind::send;
  if (static_cast<long long>(sends) > kMaxExplainTransfers)
    throw InputError("--shape", fmt::format("{} transfers are too many to explain (at most {}): "
                                            "take a smaller slice or fewer axes",
                                            sends, kMaxExplainTransfers));
}

void write_html(const ExplainArgs& args, Timeline& timeline, HtmlReport report,
                const Explanation& ex) {
  report.steps = ex.html_steps;
  report.text = ex.text;
  TimelineArgs html_only;
  html_only.html = args.timeline.html;
  write_timeline_outputs(timeline, TimelineFilter{}, html_only, report);
}

int run_looped(const ExplainArgs& args, LoopedKind kind) {
  CollectiveOptions plain = args.collective;
  plain.op = kind == LoopedKind::all_gather_then_einsum ? "all-gather" : "reduce-scatter";
  const ResolvedOutputs outputs = resolve_outputs(args.out, kExplainFormats);
  const ResolvedCollective resolved = resolve_collective(plain);
  const auto& [platform, shape, spec] = resolved;
  const Torus torus(shape);
  const ExplainOptions options = explain_options(args);
  const std::vector<ChipId> ring = ring_groups(torus, spec.axes).front();
  const int k = static_cast<int>(ring.size());
  // The einsum's MXU work per chip. By default, balanced: a step's two half-chunks (2/2K of the
  // einsum) take as long as the step's transfer, so that each chunk's matmul exactly hides the
  // next chunk's transfer (the textbook pipeline; --einsum-flops changes the balance).
  const ChipSpec& chip = platform.chip;
  const Bytes shard = std::max<Bytes>(2, spec.bytes / static_cast<Bytes>(k));
  const double step_s = torus.route_hops(ring[0], ring[1]) * chip.ici_hop_latency_s +
                        static_cast<double>(shard - shard / 2) / chip.effective_ici_link_bytes_per_s();
  double flops = k * step_s * chip.peak_flops_per_s;
  if (!args.einsum_flops.empty()) {
    try {
      std::size_t used = 0;
      flops = std::stod(args.einsum_flops, &used);
      if (used != args.einsum_flops.size() || !(flops > 0) || !std::isfinite(flops))
        throw std::invalid_argument("flops");
    } catch (const std::exception&) {
      throw InputError("--einsum-flops", fmt::format("'{}' is not a positive number of FLOPs per "
                                                     "chip (e.g. 2e12)",
                                                     args.einsum_flops));
    }
  }
  const EinsumWork work{flops, 0, 0};
  const Seconds chunk_s = loop_core_seconds(work, chip) / (2.0 * k);

  Program program(torus.chip_count());
  const std::int32_t label = program.add_label(
      kind == LoopedKind::all_gather_then_einsum ? "looped all-gather einsum"
                                                 : "looped einsum reduce-scatter");
  Frontier frontier(torus.chip_count(), kNoTask);
  append_looped_einsum(program, torus, kind, spec, work, chip, label, frontier);
  check_transfers(program);
  const ReplayResult result = replay(chip, torus, program, ReplayOptions{true, true});
  Timeline timeline = build_timeline(
      program, torus, chip, result,
      fmt::format("in-process simulation of the whole looped einsum over {} on {} (every transfer "
                  "and chunk)",
                  spec.axes.name(), shape.name()));
  const Explanation ex = explain_looped_einsum(timeline, kind, spec, torus, chip, chunk_s, options);
  emit_explanation(outputs, args, resolved, torus, ex,
                   {{"closed_form_kind", "pipeline"}, {"einsum_flops", flops}, {"chunk_s", chunk_s}});
  if (!args.timeline.html.empty()) {
    HtmlReport report = collective_html_report(timeline, spec, platform, result);
    report.title = fmt::format("podsim explain: Looped CollectiveEinsum, {} over {} on {}, {} per "
                               "chip",
                               kind == LoopedKind::all_gather_then_einsum
                                   ? "all-gather feeding an einsum"
                                   : "einsum feeding a reduce-scatter",
                               spec.axes.name(), shape.name(),
                               format_bytes(static_cast<double>(spec.bytes)));
    report.scenario.front() = {"op", std::string(args.collective.op)};
    report.scenario.emplace_back("einsum", fmt::format("{:.4g} FLOP per chip, {} per half-chunk",
                                                       flops, format_seconds(chunk_s)));
    report.headline = {
        {"simulated", format_seconds(ex.simulated_s)},
        {"closed form", fmt::format("{} (the loop's pipeline)", format_seconds(ex.closed_form.time_s))},
        {"simulated / closed form",
         fmt::format("{:.4f}", ex.closed_form.time_s > 0 ? ex.simulated_s / ex.closed_form.time_s : 0)},
        {"rates", ex.rates}};
    report.breakdown_title = "Where the time went (the listed group's first chip)";
    double compute = 0;
    for (const TimelineTask& t : timeline.tasks)
      if (t.chip == ex.group.front() && t.track == Track::mxu) compute += t.end_s - t.start_s;
    // The time beside the matmuls: the loop's launch and each of its 2K-1 chunks' fixed cost
    // (as the explanation's overlap line counts them), the rest communication.
    const double rest = std::max(0.0, ex.simulated_s - compute);
    const double fixed =
        std::min(rest, chip.collective_overhead_s + (2 * k - 1) * chip.op_overhead_s);
    report.breakdown = {{"MXU busy", compute},
                        {"fixed costs (launch, per chunk)", fixed},
                        {"communication not hidden", rest - fixed}};
    write_html(args, timeline, std::move(report), ex);
  }
  return 0;
}

int run_explain(const ExplainArgs& args) {
  if (process_replay_mode() == ReplayMode::folded)
    throw InputError("--replay", "explain walks through every chip's timeline, which the folded "
                                 "replay does not expand yet: use --replay auto or per-chip");
  if (args.collective.op == "looped-all-gather")
    return run_looped(args, LoopedKind::all_gather_then_einsum);
  if (args.collective.op == "looped-reduce-scatter")
    return run_looped(args, LoopedKind::einsum_then_reduce_scatter);
  const ResolvedOutputs outputs = resolve_outputs(args.out, kExplainFormats);
  const ResolvedCollective resolved = resolve_collective(args.collective);
  const auto& [platform, shape, spec] = resolved;
  const ExplainOptions options = explain_options(args);
  const Torus torus(shape);
  Program program(torus.chip_count());
  const std::int32_t label = program.add_label(std::string(collective_kind_name(spec.kind)));
  append_collective(program, torus, spec, Frontier(torus.chip_count(), kNoTask), label);
  check_transfers(program);
  // The walk-through reads the timeline: always capture.
  const ReplayResult result = replay(platform.chip, torus, program, ReplayOptions{true, true});
  Timeline timeline = collective_timeline(program, torus, platform.chip, spec, result);
  const Explanation ex = explain_collective(timeline, spec, torus, platform.chip, options);
  emit_explanation(outputs, args, resolved, torus, ex, nlohmann::json::object());

  if (!args.timeline.html.empty()) {
    HtmlReport report = collective_html_report(timeline, spec, platform, result);
    report.title = fmt::format("podsim explain: {}", report.title.substr(report.title.find(' ') + 1));
    write_html(args, timeline, std::move(report), ex);
  }
  return 0;
}

}  // namespace

Command add_explain_command(CLI::App& app) {
  auto args = std::make_shared<ExplainArgs>();
  CLI::App* sub = app.add_subcommand(
      "explain", "Walk through a collective or a Looped CollectiveEinsum step by step (who sends "
                 "which chunk to whom, bytes per link, time per step, closed form beside "
                 "simulated)");
  add_collective_options(sub, args->collective);
  sub->get_option("--op")->description(
      "all-gather | reduce-scatter | all-reduce | all-to-all | permute | looped-all-gather "
      "(Looped CollectiveEinsum: an all-gather feeding an einsum) | looped-reduce-scatter (an "
      "einsum feeding a reduce-scatter)");
  sub->add_option("--group", args->group,
                  "Which group's transfers to list: its index (0 = the group of chip 0, groups in "
                  "order of their first chip) or all")
      ->capture_default_str();
  sub->add_option("--steps", args->steps,
                  "Steps to list in each stream, 1-based: N, A:B, A: or :B (default: all)");
  sub->add_option("--einsum-flops", args->einsum_flops,
                  "Looped ops: the einsum's MXU FLOPs per chip (default: balanced, a step's two "
                  "half-chunks as long as the step's transfer)");
  add_output_options(sub, args->out, kExplainFormats);
  sub->add_option("--html", args->timeline.html,
                  "Also write the walk-through as a self-contained HTML page that steps through "
                  "the collective on the torus picture")
      ->type_name("FILE");
  return [args]() { return run_explain(*args); };
}

}  // namespace podsim::cli
