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
