#include "sim/report/sweep_table.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/core/input_error.hpp"
#include "sim/core/input_file.hpp"

namespace podsim {

const std::vector<std::string>& scenario_columns() {
  static const std::vector<std::string> columns = {"model",
                                                   "phase",
                                                   "chips",
                                                   "topology",
                                                   "batch",
                                                   "input_tokens",
                                                   "generate_tokens",
                                                   "weights",
                                                   "ffn_layout",
                                                   "attention",
                                                   "collective_einsum"};
  return columns;
}

const std::vector<std::string>& metric_columns() {
  static const std::vector<std::string> columns = {"prefill_s",
                                                   "decode_step_s",
                                                   "decode_s",
                                                   "total_s",
                                                   "prefill_mfu",
                                                   "decode_mfu",
                                                   "mfu",
                                                   "cost_chip_s_per_token",
                                                   "prefill_cost_chip_s_per_token",
                                                   "decode_cost_chip_s_per_token",
                                                   "compute_s",
                                                   "weight_load_s",
                                                   "kv_load_s",
                                                   "exposed_comm_s",
                                                   "other_s",
                                                   "weights_bytes",
                                                   "kv_bytes",
                                                   "activation_bytes",
                                                   "hbm_bytes"};
  return columns;
}

bool is_bytes_column(const std::string& column) { return column.ends_with("_bytes"); }

std::vector<std::string> result_header() {
  std::vector<std::string> header = {"index", "point", "status", "fits"};
  for (const auto& c : scenario_columns()) header.push_back(c);
  for (const auto& c : metric_columns()) header.push_back(c);
  header.push_back("path");
  header.push_back("reason");
  return header;
}

std::string format_metric(const std::string& column, double value) {
  if (is_bytes_column(column)) return fmt::format("{:.0f}", value);
  return fmt::format("{:.9g}", value);
}

std::vector<std::string> result_fields(const PointResult& r) {
  std::vector<std::string> fields = {std::to_string(r.index), r.point, r.status, r.fits};
  for (const auto& c : scenario_columns()) {
    const auto it = r.scenario.find(c);
    fields.push_back(it == r.scenario.end() ? "" : it->second);
  }
  for (const auto& c : metric_columns()) {
    const auto it = r.metrics.find(c);
    fields.push_back(it == r.metrics.end() ? "" : format_metric(c, it->second));
  }
  fields.push_back(r.path);
  fields.push_back(r.reason);
  return fields;
}

std::map<std::string, std::string> describe_scenario(const Scenario& s) {
  return {{"model", s.model.name},
          {"phase", std::string(phase_name(s.phase))},
          {"chips", std::to_string(s.chips())},
          {"topology", s.shape.name()},
          {"batch", std::to_string(s.batch)},
          {"input_tokens", std::to_string(s.input_tokens)},
          {"generate_tokens", std::to_string(s.generate_tokens)},
          {"weights", std::string(weight_dtype_name(s.weights))},
          // Per phase: "prefill/decode", e.g. wg-xyz/ws-2d.
          {"ffn_layout", s.per_phase() ? fmt::format("{}/{}", phase_scenario(s, Phase::prefill).ffn_layout_label(),
                                                     phase_scenario(s, Phase::decode).ffn_layout_label())
                                       : std::string(s.ffn_layout_label())},
          {"attention", s.per_phase() ? fmt::format("{}/{}", attn_sharding_name(s.attention),
                                                    attn_sharding_name(s.decode_layout->attention))
                                      : std::string(attn_sharding_name(s.attention))},
          {"collective_einsum", std::string(collective_einsum_name(s.collective_einsum))}};
}

void set_memory_metrics(const MemoryPlan& plan, std::map<std::string, double>& metrics) {
  metrics["weights_bytes"] = static_cast<double>(plan.weights_bytes);
  metrics["kv_bytes"] = static_cast<double>(plan.kv_bytes);
  metrics["activation_bytes"] = static_cast<double>(plan.activation_bytes);
  metrics["hbm_bytes"] = static_cast<double>(plan.hbm_bytes);
}

std::map<std::string, double> metrics_from_run_json(const nlohmann::json& doc, const Scenario& s) {
  std::map<std::string, double> m;
  for (const char* key : {"prefill_s", "decode_step_s", "decode_s", "total_s", "prefill_mfu",
                          "decode_mfu", "mfu", "cost_chip_s_per_token"})
    m[key] = doc.at(key).get<double>();
  for (const char* key : {"compute_s", "weight_load_s", "kv_load_s", "exposed_comm_s", "other_s"})
    m[key] = doc.at("breakdown").at(key).get<double>();
  for (const char* key : {"weights_bytes", "kv_bytes", "activation_bytes", "hbm_bytes"})
    m[key] = doc.at("memory").at(key).get<double>();
  // Cost of each phase alone (chip-seconds per token that phase produces): the paper's Figure 1
  // plots prefill and decode on their own axes.
  const double chips = static_cast<double>(s.chips());
  const double prefill_tokens = static_cast<double>(s.batch * s.input_tokens);
  const double decode_tokens = static_cast<double>(s.batch * s.generate_tokens);
  m["prefill_cost_chip_s_per_token"] =
      s.phase == Phase::decode ? 0.0 : chips * m["prefill_s"] / prefill_tokens;
  m["decode_cost_chip_s_per_token"] =
      s.phase == Phase::prefill ? 0.0 : chips * m["decode_s"] / decode_tokens;
  return m;
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    std::string f = fields[i];
    for (char& c : f)
      if (c == '\n' || c == '\r') c = ' ';
    if (f.find_first_of(",\"") == std::string::npos) {
      out += f;
      continue;
    }
    out += '"';
    for (char c : f) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  return out;
}

int CsvTable::column(const std::string& name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

namespace {

// Splits one CSV line (no embedded line breaks: csv_line never writes them). std::nullopt-like
// `ok = false` for an unterminated quote.
std::vector<std::string> split_csv_line(const std::string& line, bool& ok) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  ok = true;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  if (quoted) ok = false;
  return fields;
}

}  // namespace

namespace {
// The largest CSV read back: a sweep holds at most a million points (config/sweep_loader.cpp),
// about 0.5 kB each in its CSV (the toy sweep's: 2436 B for the header and 4 rows). /dev/zero or a runaway file is refused, not read to exhaustion.
constexpr std::size_t kMaxCsvBytes = std::size_t(1) << 30;
}  // namespace

CsvTable read_csv(const std::string& path, bool tolerate_torn_tail) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(SourceLocation{path, 0, 0}, "file", "is a directory, not a CSV file");
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    throw InputError(SourceLocation{path, 0, 0}, "file",
                     "is not a regular file (a device, FIFO or socket); give a .csv file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(SourceLocation{path, 0, 0}, "file", "cannot be read");
  const std::optional<std::string> read = read_capped(in, kMaxCsvBytes);
  if (!read)
    throw InputError(SourceLocation{path, 0, 0}, "file",
                     fmt::format("is larger than {} GiB; a sweep of a million points (the most a "
                                 "sweep holds) writes about 0.5 GiB",
                                 kMaxCsvBytes >> 30));
  const std::string& text = *read;
  CsvTable table;
  std::size_t start = 0;
  int line_no = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    const bool terminated = end != std::string::npos;
    if (!terminated) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (line.empty() || line == "\r") continue;
    bool ok = true;
    std::vector<std::string> fields = split_csv_line(line, ok);
    if (table.header.empty()) {
      if (!ok) throw InputError(SourceLocation{path, line_no, 1}, "header", "unterminated quote");
      table.header = std::move(fields);
      continue;
    }
    if (!ok || fields.size() != table.header.size() || !terminated) {
      if (tolerate_torn_tail) continue;
      if (ok && terminated)
        throw InputError(
            SourceLocation{path, line_no, 1}, "row",
            fmt::format("has {} fields but the header has {}", fields.size(), table.header.size()));
      if (!ok) throw InputError(SourceLocation{path, line_no, 1}, "row", "unterminated quote");
      if (!terminated)
        throw InputError(SourceLocation{path, line_no, 1}, "row",
                         fmt::format("the last line has no line break, so it may be cut short "
                                     "(it has {} of the header's {} fields); end the file with a "
                                     "line break if the row is complete",
                                     fields.size(), table.header.size()));
    }
    table.rows.push_back(std::move(fields));
  }
  if (table.header.empty())
    throw InputError(SourceLocation{path, 0, 0}, "header",
                     "the file is empty; expected a CSV header");
  return table;
}

}  // namespace podsim
