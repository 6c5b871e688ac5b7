#pragma once
// What the HTML report of a run or of a collective shows beside its timeline: the scenario table,
// the headline numbers and the breakdown, built from typed results (the writers are
// html_report.hpp and perfetto.hpp). Pure C++.

#include "sim/model/chip_spec.hpp"
#include "sim/partition/collective.hpp"
#include "sim/program/program.hpp"
#include "sim/program/replay_result.hpp"
#include "sim/report/html_report.hpp"
#include "sim/report/run_metrics.hpp"
#include "sim/report/timeline.hpp"
#include "sim/topology/torus.hpp"
#include "sim/workload/trace.hpp"

namespace podsim {

// `podsim run` / `replay`: the scenario (the run JSON's scalar fields), the headline (latencies
// with MFU, cost, memory per chip, the simulation path) and the breakdown of the whole run.
HtmlReport run_html_report(const Trace& trace, const RunMetrics& metrics);

// `podsim collective` / `explain`: the timeline of one collective `program` replayed with task
// and link recording, and the report of its headline numbers against the closed form.
Timeline collective_timeline(const Program& program, const Torus& torus, const ChipSpec& chip,
                             const CollectiveSpec& spec, const ReplayResult& result);
HtmlReport collective_html_report(const Timeline& timeline, const CollectiveSpec& spec,
                                  const Platform& platform, const ReplayResult& result);

}  // namespace podsim
