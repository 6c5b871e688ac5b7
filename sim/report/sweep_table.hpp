#pragma once
// The result rows of `podsim sweep` and `podsim compare`: one row per point (a set of scenario
// overrides), with what the point asked for, whether it ran, its reason when it did not, and its
// numbers; and the CSV form of these rows. Pure C++ (no SimGrid).
//
// CSV: one header line, then one line per point in grid order; RFC 4180 quoting; every reason
// on one line; floats with 9 significant digits ({:.9g}), so that the same results give the
// same bytes whatever the order in which the points finished.

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/workload/scenario.hpp"
#include "sim/workload/trace.hpp"

namespace podsim {

// What happened to a point.
//  ok      simulated; every metric is set
//  invalid the scenario cannot be built (bad value, a layout that cannot shard it, ...)
//  no-fit  valid, but its memory plan does not fit in HBM (memory columns are set)
//  failed  the simulation process failed (crash, signal, internal error)
inline constexpr const char* kStatusOk = "ok";
inline constexpr const char* kStatusInvalid = "invalid";
inline constexpr const char* kStatusNoFit = "no-fit";
inline constexpr const char* kStatusFailed = "failed";

struct PointResult {
  std::size_t index = 0;  // 1-based position in the grid
  std::string point;      // the point's overrides, "chips=64 ffn_layout=ws-1d"
  std::string status;
  std::string fits;  // "yes", "no", or "" when unknown (the scenario did not load)
  // Description columns (scenario_columns()): the resolved scenario when it loaded, else the
  // requested values.
  std::map<std::string, std::string> scenario;
  // Metric columns (metric_columns()) that are known: all when ok, memory only for no-fit.
  std::map<std::string, double> metrics;
  std::string path;    // how the simulator obtained the step times
  std::string reason;  // why the point is not ok (one line)
};

// Description columns: model, phase, chips, topology, batch, input_tokens, generate_tokens,
// weights, ffn_layout, attention, collective_einsum.
const std::vector<std::string>& scenario_columns();
// Metric columns: times in seconds (prefill_s, decode_step_s, decode_s, total_s), MFU as a
// fraction (prefill_mfu, decode_mfu, mfu), costs in chip-seconds per token (whole run, and per
// phase: prefill tokens = batch x input_tokens, decode tokens = batch x generate_tokens), the
// breakdown in seconds, memory per chip in bytes.
const std::vector<std::string>& metric_columns();
// Whether a metric column holds whole bytes (printed as integers).
bool is_bytes_column(const std::string& column);
// index, point, status, fits, the description columns, the metric columns, path, reason.
std::vector<std::string> result_header();
std::vector<std::string> result_fields(const PointResult& result);

// The description columns of a resolved scenario.
std::map<std::string, std::string> describe_scenario(const Scenario& scenario);
// Memory columns from a memory plan (weights_bytes, kv_bytes, activation_bytes, hbm_bytes).
void set_memory_metrics(const MemoryPlan& plan, std::map<std::string, double>& metrics);
// The metric columns from `podsim run --json` output (metrics_json) for `scenario`.
std::map<std::string, double> metrics_from_run_json(const nlohmann::json& doc,
                                                    const Scenario& scenario);

// Formats a metric value: {:.9g}, or an integer for byte columns.
std::string format_metric(const std::string& column, double value);

// CSV lines: fields quoted when they hold a comma, a quote or a line break; line breaks inside a
// field are replaced by spaces (one line per row).
std::string csv_line(const std::vector<std::string>& fields);

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // each as long as the header
  // Index of a column, or -1.
  int column(const std::string& name) const;
};
// Reads a CSV file. With `tolerate_torn_tail`, a last line without its line break, or any row
// whose field count differs from the header (a row cut by an interrupted write), is dropped;
// otherwise such a row throws InputError (file:line). Throws InputError when the file cannot be
// read, is not a regular file, is larger than 1 GiB or has no header.
CsvTable read_csv(const std::string& path, bool tolerate_torn_tail);

}  // namespace podsim
