#include "sim/report/compare_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "sim/core/quantity_parse.hpp"

namespace podsim {

namespace {

// One table column: a metric, how to show it, and which way is better.
struct Column {
  std::string title;
  std::string metric;  // metric column name, or "" for a derived value
  bool higher_is_better = false;
  double scale = 1;  // shown value = metric x scale
  const char* format = "{:.3f}";
};

double memory_per_chip(const PointResult& r) {
  double sum = 0;
  for (const char* k : {"weights_bytes", "kv_bytes", "activation_bytes"}) {
    const auto it = r.metrics.find(k);
    if (it != r.metrics.end()) sum += it->second;
  }
  return sum;
}

std::optional<double> value_of(const PointResult& r, const Column& c) {
  if (c.metric == "memory") {
    if (r.metrics.count("weights_bytes") == 0) return std::nullopt;
    return memory_per_chip(r) * c.scale;
  }
  if (r.status != kStatusOk) return std::nullopt;
  const auto it = r.metrics.find(c.metric);
  if (it == r.metrics.end()) return std::nullopt;
  return it->second * c.scale;
}

std::vector<Column> columns_for(const std::vector<PointResult>& results) {
  bool prefill = false, decode = false;
  for (const PointResult& r : results) {
    if (r.status != kStatusOk) continue;
    prefill = prefill || r.metrics.at("prefill_s") > 0;
    decode = decode || r.metrics.at("decode_step_s") > 0;
  }
  std::vector<Column> cols;
  if (prefill) {
    cols.push_back({"prefill ms", "prefill_s", false, 1e3});
    cols.push_back({"prefill MFU%", "prefill_mfu", true, 100, "{:.1f}"});
  }
  if (decode) {
    cols.push_back({"step ms", "decode_step_s", false, 1e3});
    cols.push_back({"decode MFU%", "decode_mfu", true, 100, "{:.1f}"});
  }
  cols.push_back({"total ms", "total_s", false, 1e3});
  cols.push_back({"MFU%", "mfu", true, 100, "{:.1f}"});
  cols.push_back({"chip-ms/token", "cost_chip_s_per_token", false, 1e3, "{:.4f}"});
  cols.push_back({"compute ms", "compute_s", false, 1e3});
  cols.push_back({"weights ms", "weight_load_s", false, 1e3});
  cols.push_back({"KV ms", "kv_load_s", false, 1e3});
  cols.push_back({"comm ms", "exposed_comm_s", false, 1e3});
  cols.push_back({"other ms", "other_s", false, 1e3});
  cols.push_back({"HBM/chip GiB", "memory", false, 1.0 / (1 << 30), "{:.2f}"});
  // As the run report shows times: milliseconds below 10 s, seconds from 10 s, per column (so
  // that a column reads in one unit): "prefill s" when a variant's prefill takes 10 s or more.
  for (Column& c : cols) {
    if (c.scale != 1e3 || c.title.size() < 3 || c.title.substr(c.title.size() - 3) != " ms")
      continue;
    double largest = 0;
    for (const PointResult& r : results)
      if (const auto v = value_of(r, c)) largest = std::max(largest, *v / c.scale);
    if (largest < 10) continue;
    c.scale = 1;
    c.title = c.title.substr(0, c.title.size() - 3) + " s";
  }
  return cols;
}

// One line naming the fastest simulated variant on the headline time (the decode step when only
// decode ran, the prefill when only prefill ran, else the total) and how it compares with the
// slowest; empty with fewer than two simulated variants.
std::string takeaway(const std::vector<PointResult>& results) {
  bool prefill = false, decode = false;
  std::vector<const PointResult*> ok;
  for (const PointResult& r : results) {
    if (r.status != kStatusOk) continue;
    ok.push_back(&r);
    prefill = prefill || r.metrics.at("prefill_s") > 0;
    decode = decode || r.metrics.at("decode_step_s") > 0;
  }
  if (ok.size() < 2) return "";
  const char* metric = decode && !prefill ? "decode_step_s" : prefill && !decode ? "prefill_s"
                                                                                  : "total_s";
  const char* what = decode && !prefill ? "per decode step" : prefill && !decode ? "prefill"
                                                                                  : "in all";
  const auto time = [&](const PointResult* r) { return r->metrics.at(metric); };
  // As the run report shows times: milliseconds below 10 s, seconds above.
  const auto shown = [](double t) {
    return t < 10 ? format_seconds(t, TimeUnit::ms, decimals(3))
                  : format_seconds(t, TimeUnit::s, decimals(3));
  };
  const auto [fast, slow] = std::minmax_element(
      ok.begin(), ok.end(), [&](const PointResult* a, const PointResult* b) { return time(a) < time(b); });
  if (time(*fast) <= 0) return "";
  return fmt::format("fastest: #{} {} ({} {}), {:.2f}x faster than the slowest, #{} {} ({})\n",
                     (*fast)->index, (*fast)->point, shown(time(*fast)), what,
                     time(*slow) / time(*fast), (*slow)->index, (*slow)->point,
                     shown(time(*slow)));
}

}  // namespace

std::string table_text(const std::string& scenario, const std::vector<PointResult>& results) {
  const std::vector<Column> cols = columns_for(results);
  std::vector<std::string> header = {"#", "variant", "fits"};
  for (const Column& c : cols) header.push_back(c.title);
  std::vector<std::vector<std::string>> cells;
  // Best per column among the simulated variants: marked with '*' (ties, as shown, all marked).
  // A lone simulated variant is the best of nothing: marked only among two or more.
  std::vector<std::optional<std::string>> best(cols.size());
  const auto simulated = std::count_if(results.begin(), results.end(),
                                       [](const PointResult& r) { return r.status == kStatusOk; });
  for (std::size_t c = 0; c < cols.size(); ++c) {
    std::optional<double> b;
    for (const PointResult& r : results) {
      const auto v = value_of(r, cols[c]);
      if (!v || r.status != kStatusOk) continue;
      if (!b || (cols[c].higher_is_better ? *v > *b : *v < *b)) b = v;
    }
    if (b && simulated > 1) best[c] = fmt::format(fmt::runtime(cols[c].format), *b);
  }
  for (const PointResult& r : results) {
    std::vector<std::string> row = {std::to_string(r.index), r.point,
                                    r.fits.empty() ? "-" : r.fits};
    for (std::size_t c = 0; c < cols.size(); ++c) {
      const auto v = value_of(r, cols[c]);
      if (!v) {
        row.push_back("-");
        continue;
      }
      std::string text = fmt::format(fmt::runtime(cols[c].format), *v);
      row.push_back(best[c] && *best[c] == text && r.status == kStatusOk ? text + "*" : text);
    }
    cells.push_back(std::move(row));
  }
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : cells) width[c] = std::max(width[c], row[c].size());
  }
  const auto line = [&](const std::vector<std::string>& row) {
    std::string out;
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) out += "  ";
      // Text columns left-aligned, numbers right-aligned.
      out += c == 1 || c == 2 ? fmt::format("{:<{}}", row[c], width[c])
                              : fmt::format("{:>{}}", row[c], width[c]);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = fmt::format("{}: {} variants{}\n", scenario, results.size(),
                                simulated > 1 ? " (* = best of the column)"
                                              : fmt::format(" ({} simulated: nothing to mark as "
                                                            "best)",
                                                            simulated));
  out += line(header);
  for (const auto& row : cells) out += line(row);
  out += takeaway(results);
  for (const PointResult& r : results)
    if (r.status != kStatusOk)
      out += fmt::format("  #{} {}: {}: {}\n", r.index, r.point,
                         r.status == kStatusNoFit ? "does not fit" : r.status, r.reason);
  return out;
}

nlohmann::json results_json(const std::string& scenario, const std::vector<PointResult>& results) {
  nlohmann::json doc;
  doc["scenario"] = scenario;
  doc["variants"] = nlohmann::json::array();
  for (const PointResult& r : results) {
    nlohmann::json v;
    v["index"] = r.index;
    v["variant"] = r.point;
    v["status"] = r.status;
    v["fits"] = r.fits.empty() ? nlohmann::json() : nlohmann::json(r.fits == "yes");
    v["scenario"] = r.scenario;
    v["metrics"] = r.metrics;
    v["path"] = r.path;
    v["reason"] = r.reason;
    doc["variants"].push_back(std::move(v));
  }
  return doc;
}

}  // namespace podsim
