#include "sim/report/html_report.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>

#include "sim/core/input_error.hpp"

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

// The page: styles, the markup skeleton, and the script that draws everything from #data.
constexpr const char* kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5em;color:#222;max-width:1400px}
h1{font-size:1.4em} h2{font-size:1.1em;margin-top:1.6em;border-bottom:1px solid #ddd}
table.kv td{padding:2px 12px 2px 0;vertical-align:top} table.kv td:first-child{color:#555}
.note{color:#555;font-size:.9em} .warn{color:#a40}
.plane{display:inline-block;margin:0 10px 10px 0;vertical-align:top}
.legend{font-size:.85em;color:#444} pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:.85em}
#errors{color:#b00;font-weight:bold} button{margin-right:6px}
svg text{font-family:system-ui,sans-serif}
)";

constexpr const char* kScript = R"JS(
'use strict';
window.podsimErrors = [];
window.addEventListener('error', function (e) {
  window.podsimErrors.push(String(e.message));
  var el = document.getElementById('errors');
  if (el) el.textContent = 'script error: ' + e.message;
});
(function () {
  var D = JSON.parse(document.getElementById('data').textContent);
  var NS = 'http://www.w3.org/2000/svg';
  function el(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function h(tag, text, parent) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmtS(s) {
    var a = Math.abs(s);
    if (a >= 1) return s.toPrecision(4) + ' s';
    if (a >= 1e-3) return (s * 1e3).toPrecision(4) + ' ms';
    if (a >= 1e-6) return (s * 1e6).toPrecision(4) + ' us';
    return (s * 1e9).toPrecision(4) + ' ns';
  }
  // Load 0..1 to a colour: pale grey when idle, then yellow -> orange -> dark red.
  function color(u) {
    if (!(u > 0)) return '#e4e4e4';
    u = Math.min(1, u);
    var stops = [[255, 237, 160], [254, 178, 76], [240, 59, 32], [128, 0, 38]];
    var x = u * (stops.length - 1), i = Math.min(stops.length - 2, Math.floor(x)), f = x - i;
    var c = [0, 1, 2].map(function (k) { return Math.round(stops[i][k] + f * (stops[i + 1][k] - stops[i][k])); });
    return 'rgb(' + c.join(',') + ')';
  }
  function kv(table, rows) {
    rows.forEach(function (r) {
      var tr = h('tr', undefined, table); h('td', r[0], tr); h('td', r[1], tr);
    });
  }
  document.title = D.title;
  document.getElementById('title').textContent = D.title;
  kv(document.getElementById('scenario'), D.scenario);
  kv(document.getElementById('headline'), D.headline);
  var notes = document.getElementById('notes');
  D.notes.forEach(function (n) { h('div', n, notes); });
  h('div', 'Timeline captured: ' + D.captured, notes);
  h('div', 'Cut from the timeline: ' + (D.cuts.length ? D.cuts.join('; ') : 'nothing'), notes);
  if (D.text) document.getElementById('text').textContent = D.text;
  else document.getElementById('text').style.display = 'none';

  // Breakdown: one stacked bar.
  (function () {
    var svg = document.getElementById('breakdown');
    var total = D.breakdown.reduce(function (a, b) { return a + b[1]; }, 0);
    var W = 900, x = 0, palette = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#9c755f'];
    el('rect', {x: 0, y: 0, width: W, height: 28, fill: '#f0f0f0'}, svg);
    D.breakdown.forEach(function (b, i) {
      var w = total > 0 ? W * b[1] / total : 0;
      var r = el('rect', {x: x, y: 0, width: Math.max(0, w), height: 28, fill: palette[i % palette.length]}, svg);
      el('title', {}, r).textContent = b[0] + ': ' + fmtS(b[1]);
      el('rect', {x: 0, y: 38 + i * 17, width: 12, height: 12, fill: palette[i % palette.length]}, svg);
      el('text', {x: 16, y: 49 + i * 17, 'font-size': 12}, svg).textContent =
          b[0] + ' ' + fmtS(b[1]) + (total > 0 ? ' (' + (100 * b[1] / total).toFixed(1) + '%)' : '');
      x += w;
    });
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + (44 + D.breakdown.length * 17));
    svg.setAttribute('height', 44 + D.breakdown.length * 17);
  })();

  // Op instances on a time axis (the first few hundred).
  (function () {
    var svg = document.getElementById('ops');
    var ops = D.instances, W = 900, rowH = 14, T = D.makespan > 0 ? D.makespan : 1;
    var rows = Math.min(ops.length, 40);
    svg.setAttribute('viewBox', '0 0 ' + (W + 260) + ' ' + (rows * rowH + 24));
    el('line', {x1: 260, y1: rows * rowH + 4, x2: 260 + W, y2: rows * rowH + 4, stroke: '#999'}, svg);
    el('text', {x: 260, y: rows * rowH + 18, 'font-size': 11}, svg).textContent = '0';
    el('text', {x: 260 + W, y: rows * rowH + 18, 'font-size': 11, 'text-anchor': 'end'}, svg).textContent = fmtS(T);
    ops.slice(0, rows).forEach(function (op, i) {
      el('text', {x: 0, y: i * rowH + 11, 'font-size': 11}, svg).textContent = op[0].length > 42 ? '…' + op[0].slice(op[0].length - 41) : op[0];
      var r = el('rect', {x: 260 + W * op[1] / T, y: i * rowH + 2, width: Math.max(1, W * (op[2] - op[1]) / T), height: rowH - 4, fill: '#4e79a7'}, svg);
      el('title', {}, r).textContent = op[0] + ': ' + fmtS(op[1]) + ' to ' + fmtS(op[2]);
    });
    if (ops.length > rows) h('div', (ops.length - rows) + ' more op instances not drawn', document.getElementById('opsnote'));
  })();

  var nb = D.bins, binW = (D.makespan > 0 ? D.makespan : 1) / nb;
  var links = D.links;  // [id, name, x, y, z, dir, bytes, util per bin (permille) or 0]
  function mean(link, b0, b1) {
    var u = link[7];
    if (!u) return 0;
    var s = 0;
    for (var b = b0; b < b1; ++b) s += u[b];
    return s / 1000 / Math.max(1, b1 - b0);
  }

  // Heat map: links x time.
  (function () {
    var svg = document.getElementById('heatmap');
    var rows = D.heat_rows, cw = Math.max(2, Math.floor(900 / nb)), rh = rows.length > 64 ? 3 : 10, left = 150;
    svg.setAttribute('viewBox', '0 0 ' + (left + nb * cw + 10) + ' ' + (rows.length * rh + 30));
    svg.setAttribute('width', left + nb * cw + 10);
    svg.setAttribute('height', rows.length * rh + 30);
    el('rect', {x: left, y: 0, width: nb * cw, height: rows.length * rh, fill: '#e4e4e4'}, svg);
    rows.forEach(function (li, r) {
      var link = links[li], u = link[7];
      if (rh >= 8 || r % 8 === 0) el('text', {x: left - 4, y: r * rh + rh - 1, 'font-size': Math.min(10, rh * 2), 'text-anchor': 'end'}, svg).textContent = link[1];
      if (!u) return;
      for (var b = 0; b < nb; ++b) {
        if (!u[b]) continue;
        var c = el('rect', {x: left + b * cw, y: r * rh, width: cw, height: rh, fill: color(u[b] / 1000)}, svg);
        if (rh >= 8) el('title', {}, c).textContent = link[1] + ' ' + fmtS(b * binW) + ': ' + (u[b] / 10).toFixed(1) + '%';
      }
    });
    el('text', {x: left, y: rows.length * rh + 14, 'font-size': 11}, svg).textContent = '0';
    el('text', {x: left + nb * cw, y: rows.length * rh + 14, 'font-size': 11, 'text-anchor': 'end'}, svg).textContent = fmtS(D.makespan);
    el('text', {x: left + nb * cw / 2, y: rows.length * rh + 26, 'font-size': 11, 'text-anchor': 'middle'}, svg).textContent = 'simulated time (' + nb + ' bins of ' + fmtS(binW) + '); colour = mean load of the bin';
  })();

  // Torus view: one XY plane per Z; each directed link a short offset segment.
  var X = D.shape[0], Y = D.shape[1], Z = D.shape[2];
  var sp = X * Y > 64 ? 26 : 56, pad = 22, segs = [];
  (function () {
    var host = document.getElementById('torus');
    var dx = [1, -1, 0, 0, 0, 0], dy = [0, 0, 1, -1, 0, 0];
    for (var z = 0; z < Z; ++z) {
      var div = h('div', undefined, host); div.className = 'plane';
      h('div', 'z = ' + z, div);
      var svg = el('svg', {width: (X - 1) * sp + 2 * pad, height: (Y - 1) * sp + 2 * pad}, div);
      for (var y = 0; y < Y; ++y) for (var x = 0; x < X; ++x)
        el('circle', {cx: pad + x * sp, cy: pad + y * sp, r: sp > 30 ? 5 : 3, fill: '#555'}, svg);
      links.forEach(function (link, i) {
        if (link[4] !== z) return;
        var x0 = pad + link[2] * sp, y0 = pad + link[3] * sp, d = link[5], o = sp > 30 ? 4 : 2;
        var a, b, c, e;
        if (d < 4) {
          var ux = dx[d], uy = dy[d], nx = -uy, ny = ux;  // offset to the left of travel
          var wrap = (d < 2 && (link[2] + ux < 0 || link[2] + ux >= X)) || (d >= 2 && (link[3] + uy < 0 || link[3] + uy >= Y));
          var len = wrap ? 0.3 : 0.82;
          a = x0 + ux * sp * 0.09 + nx * o; b = y0 + uy * sp * 0.09 + ny * o;
          c = x0 + ux * sp * len + nx * o; e = y0 + uy * sp * len + ny * o;
        } else {  // z links: a tick up-right (+z) or down-left (-z) of the chip
          var s = d === 4 ? 1 : -1;
          a = x0 + s * 3; b = y0 - s * 3; c = x0 + s * sp * 0.3; e = y0 - s * sp * 0.3;
        }
        var line = el('line', {'class': 'link', x1: a, y1: b, x2: c, y2: e, stroke: '#e4e4e4', 'stroke-width': sp > 30 ? 3 : 2, 'stroke-linecap': 'round'}, svg);
        var t = el('title', {}, line);
        segs.push([line, t, i]);
      });
    }
  })();
  var s0 = document.getElementById('t0'), s1 = document.getElementById('t1'), label = document.getElementById('window');
  s0.max = nb - 1; s1.min = 1; s1.max = nb; s0.value = 0; s1.value = nb;
  var stepLinks = null;
  function redraw() {
    var b0 = Math.min(+s0.value, nb - 1), b1 = Math.max(+s1.value, b0 + 1);
    var best = -1, bestU = -1;
    segs.forEach(function (s) {
      var link = links[s[2]], u = mean(link, b0, b1);
      var lit = stepLinks === null || stepLinks[link[0]];
      s[0].setAttribute('stroke', lit ? color(u) : '#f4f4f4');
      s[1].textContent = link[1] + ': ' + (100 * u).toFixed(1) + '% mean load';
      if (u > bestU) { bestU = u; best = s[2]; }
    });
    label.textContent = 'window ' + fmtS(b0 * binW) + ' to ' + fmtS(b1 * binW) +
        (bestU > 0 ? '; most loaded link in it: ' + links[best][1] + ' (' + (100 * bestU).toFixed(1) + '% mean load)' : '; no link busy');
  }
  s0.addEventListener('input', function () { if (+s1.value <= +s0.value) s1.value = +s0.value + 1; stepLinks = null; redraw(); });
  s1.addEventListener('input', function () { if (+s0.value >= +s1.value) s0.value = +s1.value - 1; stepLinks = null; redraw(); });
  document.getElementById('most').textContent = D.most_loaded;
  redraw();

  // Teaching mode: steps.
  (function () {
    var box = document.getElementById('steps');
    if (!D.steps.length) { box.style.display = 'none'; return; }
    var i = 0, timer = null, title = document.getElementById('steptitle'), list = document.getElementById('steplines');
    function show() {
      var st = D.steps[i];
      title.textContent = st.title + ' (' + fmtS(st.t0) + ' to ' + fmtS(st.t1) + ')';
      list.textContent = '';
      st.lines.forEach(function (l) { h('li', l, list); });
      s0.value = Math.min(nb - 1, Math.floor(st.t0 / binW));
      s1.value = Math.max(+s0.value + 1, Math.ceil(st.t1 / binW));
      stepLinks = {}; st.links.forEach(function (l) { stepLinks[l] = true; });
      redraw();
    }
    document.getElementById('prev').addEventListener('click', function () { i = (i + D.steps.length - 1) % D.steps.length; show(); });
    document.getElementById('next').addEventListener('click', function () { i = (i + 1) % D.steps.length; show(); });
    document.getElementById('play').addEventListener('click', function () {
      if (timer) { clearInterval(timer); timer = null; return; }
      timer = setInterval(function () { i = (i + 1) % D.steps.length; show(); }, 1200);
    });
    show();
  })();
  document.body.setAttribute('data-rendered', 'yes');
})();
)JS";

constexpr const char* kBody = R"(<body>
<h1 id="title"></h1>
<div id="errors"></div>
<h2>Scenario</h2><table class="kv" id="scenario"></table>
<h2>Headline</h2><table class="kv" id="headline"></table>
<div class="note" id="notes"></div>
<pre id="text"></pre>
<h2 id="breakdowntitle"></h2><svg id="breakdown" width="100%" height="70"></svg>
<h2>Ops over time</h2><svg id="ops" width="100%"></svg><div class="note" id="opsnote"></div>
<div id="steps"><h2>Step by step</h2>
<div><button id="prev">previous</button><button id="next">next</button><button id="play">play / pause</button>
<b id="steptitle"></b></div><ul id="steplines"></ul>
<div class="note">The torus view below shows the links this step used, coloured by their load during it.</div></div>
<h2>Link utilisation over time</h2>
<div class="note">Rows: directed ICI links (the most loaded first); columns: time. Exact mean load per bin from the replay's link rates.</div>
<svg id="heatmap"></svg>
<h2>Torus: link load in a time window</h2>
<div class="note">The slice unfolded into XY planes, one per z. Each directed link is a segment beside the chip it leaves
(to the left of its direction of travel; short stubs at an edge are wraparound links; +z ticks up-right, -z down-left),
coloured by its mean load in the window. Most loaded link of the run: <b id="most"></b>.</div>
<div>window start <input type="range" id="t0" min="0" step="1"> end <input type="range" id="t1" step="1"> <span id="window"></span></div>
<div class="legend">load: <svg width="220" height="14" id="legend"></svg></div>
<div id="torus"></div>
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
    most_name = fmt::format("{} ({:.4g} MB, busy {:.1f}% of the time, peak {:.4g} GB/s)",
                            torus.link_name(most), bytes[most] / 1e6,
                            timeline.makespan_s > 0 ? 100 * busy_s / timeline.makespan_s : 0.0,
                            peak / 1e9);
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
    std::vector<LinkId> used;
    for (const LinkInterval& v : timeline.link_intervals)
      if (v.end_s > s.start_s && v.start_s < s.end_s &&
          (used.empty() || used.back() != v.link))
        used.push_back(v.link);
    steps.push_back({{"title", s.title}, {"t0", s.start_s}, {"t1", s.end_s}, {"lines", s.lines},
                     {"links", used}});
  }
  data["steps"] = std::move(steps);

  // "</" cannot appear inside a <script> element: escape it in the JSON.
  std::string json = data.dump();
  for (std::size_t p = 0; (p = json.find("</", p)) != std::string::npos; p += 3)
    json.replace(p, 2, "<\\/");

  std::string page;
  page += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  page += "<title>podsim report</title>\n<style>";
  page += kStyle;
  page += "</style></head>\n";
  page += kBody;
  page += "<script type=\"application/json\" id=\"data\">";
  page += json;
  page += "</script>\n<script>";
  page += fmt::format("document.getElementById('breakdowntitle').textContent = {};\n",
                      nlohmann::json(report.breakdown_title).dump());
  page += kScript;
  page += R"JS(
(function () {
  var svg = document.getElementById('legend'), NS = 'http://www.w3.org/2000/svg';
  for (var i = 0; i <= 10; ++i) {
    var r = document.createElementNS(NS, 'rect');
    r.setAttribute('x', i * 16); r.setAttribute('y', 0); r.setAttribute('width', 16); r.setAttribute('height', 14);
    var u = i / 10, stops = [[255, 237, 160], [254, 178, 76], [240, 59, 32], [128, 0, 38]];
    var x = u * 3, k = Math.min(2, Math.floor(x)), f = x - k;
    var c = [0, 1, 2].map(function (j) { return Math.round(stops[k][j] + f * (stops[k + 1][j] - stops[k][j])); });
    r.setAttribute('fill', i === 0 ? '#e4e4e4' : 'rgb(' + c.join(',') + ')');
    svg.appendChild(r);
  }
  var t = document.createElementNS(NS, 'text');
  t.setAttribute('x', 180); t.setAttribute('y', 12); t.setAttribute('font-size', 11);
  t.textContent = '0 .. 100%';
  svg.appendChild(t);
})();
)JS";
  page += "</script>\n</body></html>\n";

  std::ofstream out(path, std::ios::binary);
  if (!out) throw InputError("--html", fmt::format("cannot write '{}'", path));
  out << page;
  out.close();
  if (!out) throw InputError("--html", fmt::format("cannot write '{}' (disk full?)", path));
  return page.size();
}

}  // namespace podsim
