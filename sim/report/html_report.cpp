#include "sim/report/html_report.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "sim/core/input_error.hpp"
#include "sim/core/output_file.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/report/html_report_assets.hpp"  // generated from html_report.css and .js

namespace podsim {

std::vector<std::vector<double>> binned_utilisation(const Timeline& timeline, int bins) {
  const std::size_t slots = static_cast<std::size_t>(timeline.shape.chip_count()) * kDirections;
  std::vector<std::vector<double>> util(slots);
  const double span = timeline.makespan_s > 0 ? timeline.makespan_s : 1.0;
  const double width = span / bins;
  const double capacity = timeline.link_bytes_per_s * width;  // bytes one bin can carry
  for (const LinkInterval& v : timeline.link_intervals) {
    auto& row = util.at(v.link);
    if (row.empty()) row.assign(bins, 0.0);
    int b = std::clamp(static_cast<int>(v.start_s / width), 0, bins - 1);
    for (; b < bins; ++b) {
      const double lo = std::max(v.start_s, b * width), hi = std::min(v.end_s, (b + 1) * width);
      if (hi <= lo) {
        if (b * width >= v.end_s) break;
        continue;
      }
      row[b] += v.bytes_per_s * (hi - lo) / capacity;
    }
  }
  return util;
}

namespace {

// The page's markup skeleton. Its styles (html_report.css) and the script that draws everything
// from #data (html_report.js) are files of their own, embedded at build time as
// html_assets::kStyle and html_assets::kScript.
constexpr const char* kBody = R"(<body>
<h1 id="title"></h1>
<div id="errors"></div>
<h2 id="scenariotitle">Scenario</h2><table class="kv" id="scenario"></table>
<h2>Headline</h2><table class="kv" id="headline"></table>
<div class="note" id="notes"></div>
<h2 id="torustitle">Torus: link load in a time window</h2>
<div class="stage">
<div id="torus"></div>
<div class="controls">
<div id="steps">
<div class="buttons"><button id="prev">&#9664; previous</button><button id="next">next &#9654;</button><button id="play">play / pause</button> <span id="stepcount"></span></div>
<div id="steptitle"></div><div class="note" id="movesnote"></div><ul id="steplines"></ul>
</div>
<div class="legend"><div>link load: <span id="ratenote"></span></div><svg width="330" height="34" id="legend"></svg></div>
<div>window start <input type="range" id="t0" min="0" step="1"> end <input type="range" id="t1" step="1"></div>
<div class="note" id="window"></div>
<div class="note">Most loaded link of the run: <b id="most"></b>.</div>
<div class="note">The slice unfolded into XY planes, one per z; chips are labelled x,y. Each directed link is a
segment beside the chip it leaves (to the left of its direction of travel; short stubs at an edge are wraparound
links; +z ticks up-right, -z down-left), coloured by its mean load in the window. In a step, the moving dots are
the listed chips' transfers, from sender to receiver along their routes, and a chip is blue when it only sends,
orange when it only receives, green when it does both.</div>
</div></div>
<pre id="text"></pre>
<h2 id="breakdowntitle"></h2><svg id="breakdown" width="100%" height="70"></svg>
<h2>Ops over time</h2><svg id="ops" width="100%"></svg><div class="note" id="opsnote"></div>
<h2>Link utilisation over time</h2>
<div class="note">Rows: directed ICI links (the most loaded first); columns: time. Exact mean load per bin from the replay's link rates, against the effective link rate.</div>
<div id="heatagg"></div>
<div id="heatscroll"><svg id="heatmap"></svg></div>
)";

}  // namespace

std::size_t write_html_report(const Timeline& timeline, const HtmlReport& report,
                              const std::string& path) {
  const Torus torus(timeline.shape);
  const std::size_t slots = static_cast<std::size_t>(timeline.shape.chip_count()) * kDirections;
  const int bins = static_cast<int>(std::clamp<std::size_t>(
      kMaxLinkBinCells / std::max<std::size_t>(1, slots), 20, kMaxTimeBins));
  const auto util = binned_utilisation(timeline, bins);
  const std::vector<double> bytes = link_bytes(timeline);

  std::vector<bool> keep_chip(timeline.shape.chip_count(), false);
  for (ChipId c : timeline.chips) keep_chip[c] = true;
  nlohmann::json links = nlohmann::json::array();
  std::vector<std::size_t> order;  // indices into links, for the heat map
  for (ChipId c = 0; c < timeline.shape.chip_count(); ++c) {
    if (!keep_chip[c]) continue;
    for (int d = 0; d < kDirections; ++d) {
      if (!torus.has_link(c, static_cast<Direction>(d))) continue;
      const LinkId id = Torus::link_id(c, static_cast<Direction>(d));
      const Coord at = torus.coord(c);
      nlohmann::json row = nlohmann::json::array(
          {id, torus.link_name(id), at.v[0], at.v[1], at.v[2], d, bytes[id]});
      if (util[id].empty()) {
        row.push_back(0);
      } else {
        std::vector<int> permille(bins);
        for (int b = 0; b < bins; ++b) permille[b] = static_cast<int>(std::lround(1000 * util[id][b]));
        row.push_back(permille);
      }
      order.push_back(links.size());
      links.push_back(std::move(row));
    }
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return links[a][6].get<double>() > links[b][6].get<double>();
  });
  std::vector<std::size_t> heat_rows;
  for (std::size_t i : order) {
    if (static_cast<int>(heat_rows.size()) >= kHeatMapMaxRows || links[i][6].get<double>() <= 0)
      break;
    heat_rows.push_back(i);
  }
  std::vector<std::string> notes = report.notes;
  std::size_t busy = 0;
  for (std::size_t i : order) busy += links[i][6].get<double>() > 0;
  if (busy > heat_rows.size())
    notes.push_back(fmt::format("The heat map shows the {} most loaded of {} busy links.",
                                heat_rows.size(), busy));

  const LinkId most = most_loaded_link(timeline);
  std::string most_name = "none (no link carried anything)";
  if (most >= 0) {
    double busy_s = 0, peak = 0;
    for (const LinkInterval& v : timeline.link_intervals)
      if (v.link == most) {
        busy_s += v.end_s - v.start_s;
        peak = std::max(peak, v.bytes_per_s);
      }
    most_name = fmt::format(
        "{} ({}, busy {:.1f}% of the time, mean load {:.1f}% of the effective {:.4g} GB/s, "
        "peak {:.4g} GB/s)",
        torus.link_name(most), format_bytes(bytes[most]),
        timeline.makespan_s > 0 ? 100 * busy_s / timeline.makespan_s : 0.0,
        timeline.makespan_s > 0 && timeline.link_bytes_per_s > 0
            ? 100 * bytes[most] / (timeline.link_bytes_per_s * timeline.makespan_s)
            : 0.0,
        timeline.link_bytes_per_s / 1e9, peak / 1e9);
  }

  nlohmann::json data;
  data["title"] = report.title;
  data["scenario"] = report.scenario;
  data["headline"] = report.headline;
  data["breakdown"] = report.breakdown;
  data["notes"] = notes;
  data["captured"] = timeline.captured;
  data["cuts"] = timeline.cuts;
  data["text"] = report.text;
  data["shape"] = timeline.shape.dims;
  data["wraps"] = {timeline.shape.wrapped(Axis::x), timeline.shape.wrapped(Axis::y),
                   timeline.shape.wrapped(Axis::z)};
  data["rate"] = fmt::format("fraction of the effective link rate, {:.4g} GB/s per direction",
                             timeline.link_bytes_per_s / 1e9);
  data["makespan"] = timeline.makespan_s;
  data["bins"] = bins;
  data["links"] = std::move(links);
  data["heat_rows"] = heat_rows;
  data["most_loaded"] = most_name;
  nlohmann::json instances = nlohmann::json::array();
  for (std::size_t i = 0; i < timeline.instances.size() && i < 400; ++i)
    instances.push_back(nlohmann::json::array({timeline.instance_name(static_cast<std::int32_t>(i)),
                                               timeline.instances[i].start_s,
                                               timeline.instances[i].end_s}));
  data["instances"] = std::move(instances);
  nlohmann::json steps = nlohmann::json::array();
  for (const HtmlStep& s : report.steps) {
    // The links that carried anything during the step.
    std::vector<LinkId> used = s.links;
    if (used.empty())
      for (const LinkInterval& v : timeline.link_intervals)
        if (v.end_s > s.start_s && v.start_s < s.end_s &&
            (used.empty() || used.back() != v.link))
          used.push_back(v.link);
    nlohmann::json moves = nlohmann::json::array();
    for (const HtmlMove& m : s.moves) moves.push_back({m.from, m.to});
    steps.push_back({{"title", s.title}, {"t0", s.start_s}, {"t1", s.end_s}, {"lines", s.lines},
                     {"links", used}, {"moves", moves}});
  }
  data["steps"] = std::move(steps);

  // "</" cannot appear inside a <script> element: escape it in the JSON.
  std::string json = data.dump();
  for (std::size_t p = 0; (p = json.find("</", p)) != std::string::npos; p += 3)
    json.replace(p, 2, "<\\/");

  std::string page;
  page += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  page += "<title>podsim report</title>\n<style>\n";
  page += html_assets::kStyle;
  page += "</style></head>\n";
  page += kBody;
  page += "<script type=\"application/json\" id=\"data\">";
  page += json;
  page += "</script>\n<script>";
  page += fmt::format("document.getElementById('breakdowntitle').textContent = {};\n",
                      nlohmann::json(report.breakdown_title).dump());
  page += "\n";
  page += html_assets::kScript;
  page += "</script>\n</body></html>\n";

  write_output_file(path, page, "--html");
  return page.size();
}

}  // namespace podsim
