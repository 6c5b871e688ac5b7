// `podsim explain`: teaching mode. Simulates one collective, then walks through it step by step
// from the simulated events (sim/report/timeline_explain.hpp); --html writes the same as a page
// that animates the steps on the torus picture.

#include <fmt/format.h>

#include <iostream>

#include "sim/cli/cli_common.hpp"
#include "sim/cli/collective_options.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/timeline_output.hpp"
#include "sim/report/html_content.hpp"
#include "sim/program/algorithms.hpp"
#include "sim/program/fold.hpp"
#include "sim/replay/replay.hpp"
#include "sim/report/timeline_explain.hpp"

namespace podsim::cli {

namespace {

struct ExplainArgs {
  CollectiveOptions collective{"4x4x1", "auto", "all-gather", "x", "1MiB"};
  TimelineArgs timeline;
};

// Explanations are for looking at: a slice this large would list more than anyone reads.
constexpr long long kMaxExplainTransfers = 200'000;

int run_explain(const ExplainArgs& args) {
  const auto [platform, shape, spec] = resolve_collective(args.collective);

  if (process_replay_mode() == ReplayMode::folded)
    throw InputError("--replay", "explain walks through every chip's timeline, which the folded "
                                 "replay does not expand yet: use --replay auto or per-chip");
  const Torus torus(shape);
  Program program(torus.chip_count());
  const std::int32_t label = program.add_label(std::string(collective_kind_name(spec.kind)));
  append_collective(program, torus, spec, Frontier(torus.chip_count(), kNoTask), label);
  std::size_t sends = 0;
  for (const ChipProgram& c : program.chips)
    for (const Task& t : c.tasks) sends += t.kind == TaskKind::send;
  if (static_cast<long long>(sends) > kMaxExplainTransfers)
    throw InputError("--shape", fmt::format("{} transfers are too many to explain (at most {}): "
                                            "take a smaller slice or fewer axes",
                                            sends, kMaxExplainTransfers));
  // The walk-through reads the timeline: always capture.
  const ReplayResult result = replay(platform.chip, torus, program, ReplayOptions{true, true});
  Timeline timeline = collective_timeline(program, torus, platform.chip, spec, result);
  const Explanation ex = explain_collective(timeline, spec, torus, platform.chip);
  std::cout << ex.text;

  if (!args.timeline.html.empty()) {
    HtmlReport report = collective_html_report(timeline, spec, platform, result);
    report.title = fmt::format("podsim explain: {}", report.title.substr(report.title.find(' ') + 1));
    report.steps = ex.html_steps;
    report.text = ex.text;
    TimelineArgs html_only;
    html_only.html = args.timeline.html;
    write_timeline_outputs(timeline, TimelineFilter{}, html_only, report);
  }
  return 0;
}

}  // namespace

Command add_explain_command(CLI::App& app) {
  auto args = std::make_shared<ExplainArgs>();
  CLI::App* sub = app.add_subcommand(
      "explain", "Walk through a collective step by step (who sends which chunk to whom, bytes "
                 "per link, time per step, closed form beside simulated)");
  add_collective_options(sub, args->collective);
  sub->add_option("--html", args->timeline.html,
                  "Also write the walk-through as a self-contained HTML page that steps through "
                  "the collective on the torus picture");
  return [args]() { return run_explain(*args); };
}

}  // namespace podsim::cli
