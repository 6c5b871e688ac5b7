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
    var ops = D.instances, W = 830, L = 330, rowH = 14, T = D.makespan > 0 ? D.makespan : 1;
    var rows = Math.min(ops.length, 40);
    svg.setAttribute('viewBox', '0 0 ' + (W + L) + ' ' + (rows * rowH + 24));
    el('line', {x1: L, y1: rows * rowH + 4, x2: L + W, y2: rows * rowH + 4, stroke: '#999'}, svg);
    // Ticks at 0, 1/4, 1/2, 3/4 and the end of the capture.
    for (var q = 0; q <= 4; ++q) {
      el('line', {x1: L + W * q / 4, y1: rows * rowH + 1, x2: L + W * q / 4, y2: rows * rowH + 7, stroke: '#999'}, svg);
      el('text', {x: L + W * q / 4, y: rows * rowH + 18, 'font-size': 11, 'text-anchor': q === 0 ? 'start' : q === 4 ? 'end' : 'middle'}, svg).textContent = q === 0 ? '0' : fmtS(T * q / 4);
    }
    // "step 0 (prefill) transformer 1/32: transformer.q_ffn_in" reads "step 0 prefill · transformer
    // 1/32 · q_ffn_in"; a label still too long keeps its op name and loses the middle.
    function opLabel(t) {
      t = t.replace(/^step (\d+) \(([\w-]+)\) /, 'step $1 $2 · ').replace(/([\w-]+)( \d+\/\d+)?: \1\./, '$1$2 · ');
      if (t.length <= 56) return t;
      var i = t.lastIndexOf(' · '), tail = i >= 0 ? t.slice(i) : '';
      if (tail.length >= 40) return "…" + t.slice(t.length - 55);
      return t.slice(0, 55 - tail.length) + "…" + tail;
    }
    ops.slice(0, rows).forEach(function (op, i) {
      el('text', {x: 0, y: i * rowH + 11, 'font-size': 11}, svg).textContent = opLabel(op[0]);
      var r = el('rect', {x: L + W * op[1] / T, y: i * rowH + 2, width: Math.max(1, W * (op[2] - op[1]) / T), height: rowH - 4, fill: '#4e79a7'}, svg);
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

  // Heat map: links x time. Up to 64 links one readable row each; beyond, one row per link
  // direction first (the mean and the most loaded of that direction's busy links), then every
  // link in a scrolling box, still 10 px a row.
  var DIRS = ['+x', '-x', '+y', '-y', '+z', '-z'];
  function heat(svg, rows, rh, label, cellTitle) {
    var cw = Math.max(2, Math.floor(900 / nb)), left = 170;
    svg.setAttribute('viewBox', '0 0 ' + (left + nb * cw + 10) + ' ' + (rows.length * rh + 30));
    svg.setAttribute('width', left + nb * cw + 10);
    svg.setAttribute('height', rows.length * rh + 30);
    el('rect', {x: left, y: 0, width: nb * cw, height: rows.length * rh, fill: '#e4e4e4'}, svg);
    rows.forEach(function (row, r) {
      el('text', {x: left - 4, y: r * rh + rh - 2, 'font-size': Math.min(11, rh), 'text-anchor': 'end'}, svg).textContent = label(row);
      var u = row.u;
      if (!u) return;
      for (var b = 0; b < nb; ++b) {
        if (!u[b]) continue;
        var c = el('rect', {x: left + b * cw, y: r * rh, width: cw, height: rh, fill: color(u[b] / 1000)}, svg);
        el('title', {}, c).textContent = cellTitle(row) + ' at ' + fmtS(b * binW) + ': ' + (u[b] / 10).toFixed(1) + '% of the effective rate';
      }
    });
    el('text', {x: left, y: rows.length * rh + 14, 'font-size': 11}, svg).textContent = '0';
    el('text', {x: left + nb * cw, y: rows.length * rh + 14, 'font-size': 11, 'text-anchor': 'end'}, svg).textContent = fmtS(D.makespan);
    el('text', {x: left + nb * cw / 2, y: rows.length * rh + 26, 'font-size': 11, 'text-anchor': 'middle'}, svg).textContent = 'simulated time (' + nb + ' bins of ' + fmtS(binW) + '); colour = mean load of the bin';
  }
  (function () {
    var rows = D.heat_rows.map(function (li) { return {name: links[li][1], u: links[li][7]}; });
    var box = document.getElementById('heatscroll');
    if (rows.length > 64) {
      var agg = [];
      DIRS.forEach(function (dname, d) {
        var mine = D.heat_rows.map(function (li) { return links[li]; }).filter(function (l) { return l[5] === d && l[7]; });
        if (!mine.length) return;
        var meanU = [], maxU = [];
        for (var b = 0; b < nb; ++b) {
          var s = 0, m = 0;
          mine.forEach(function (l) { s += l[7][b]; m = Math.max(m, l[7][b]); });
          meanU.push(Math.round(s / mine.length)); maxU.push(m);
        }
        agg.push({name: dname + ' links, mean of ' + mine.length, u: meanU});
        agg.push({name: dname + ' links, most loaded', u: maxU});
      });
      var host = document.getElementById('heatagg');
      h('div', 'By direction (' + rows.length + ' links: every one is listed in the box below, which scrolls):', host).className = 'note';
      heat(el('svg', {}, host), agg, 14, function (r) { return r.name; }, function (r) { return r.name; });
      box.className = 'scroll';
    }
    heat(document.getElementById('heatmap'), rows, 10, function (r) { return r.name; }, function (r) { return r.name; });
  })();

  // Torus view: one SVG, an XY plane per z laid out left to right then down; chips labelled.
  var X = D.shape[0], Y = D.shape[1], Z = D.shape[2], W = D.wraps || [false, false, false];
  var big = X * Y * Z > 512;
  // One plane: up to 640 px; two (2x2x2, 4x4x2): side by side, up to 420 px each; more: two
  // planes side by side in 900 px.
  var sp = Math.max(big ? 16 : 34, Math.min(Z > 2 ? 90 : 140, Math.floor((Z > 2 ? 380 : Z > 1 ? 420 : 640) / Math.max(X, Y))));
  var pad = 30, planeW = (X - 1) * sp + 2 * pad, planeH = (Y - 1) * sp + 2 * pad + 18;
  var perRow = Math.max(1, Math.min(Z, Math.floor(900 / planeW)));
  var segs = [];
  function chipXY(id) {
    var x = id % X, y = Math.floor(id / X) % Y, z = Math.floor(id / (X * Y));
    var col = z % perRow, row = Math.floor(z / perRow);
    return [col * planeW + pad + x * sp, row * planeH + 18 + pad + y * sp, x, y, z];
  }
  var tsvg;
  (function () {
    var host = document.getElementById('torus');
    var rowsOfPlanes = Math.ceil(Z / perRow);
    tsvg = el('svg', {width: perRow * planeW, height: rowsOfPlanes * planeH, id: 'torussvg'}, host);
    var dx = [1, -1, 0, 0, 0, 0], dy = [0, 0, 1, -1, 0, 0];
    var labels = sp >= 34;
    for (var z = 0; z < Z; ++z) {
      var o = chipXY(z * X * Y);
      el('rect', {x: o[0] - pad + 4, y: o[1] - pad + 4, width: planeW - 8, height: planeH - 26, fill: 'none', stroke: '#ccc', rx: 6}, tsvg);
      el('text', {x: o[0] - pad + 10, y: o[1] - pad - 2, 'font-size': 13, 'font-weight': 'bold'}, tsvg).textContent = 'z = ' + z;
    }
    links.forEach(function (link, i) {
      var p = chipXY(link[2] + X * (link[3] + Y * link[4])), x0 = p[0], y0 = p[1], d = link[5], off = sp > 30 ? 5 : 2;
      var a, b, c, e;
      if (d < 4) {
        var ux = dx[d], uy = dy[d], nx = -uy, ny = ux;  // offset to the left of travel
        var wrap = (d < 2 && (link[2] + ux < 0 || link[2] + ux >= X)) || (d >= 2 && (link[3] + uy < 0 || link[3] + uy >= Y));
        var len = wrap ? 0.3 : 0.82;
        a = x0 + ux * sp * 0.15 + nx * off; b = y0 + uy * sp * 0.15 + ny * off;
        c = x0 + ux * sp * len + nx * off; e = y0 + uy * sp * len + ny * off;
      } else {  // z links: a tick up-right (+z) or down-left (-z) of the chip
        var sg = d === 4 ? 1 : -1;
        a = x0 + sg * sp * 0.12; b = y0 - sg * sp * 0.12; c = x0 + sg * sp * 0.32; e = y0 - sg * sp * 0.32;
      }
      var line = el('line', {'class': 'link', x1: a, y1: b, x2: c, y2: e, stroke: '#e4e4e4', 'stroke-width': sp > 30 ? 4 : 2, 'stroke-linecap': 'round'}, tsvg);
      var t = el('title', {}, line);
      segs.push([line, t, i]);
    });
    for (var id = 0; id < X * Y * Z; ++id) {
      var q = chipXY(id), r = labels ? Math.min(13, sp * 0.16) : Math.max(2, sp * 0.12);
      el('circle', {cx: q[0], cy: q[1], r: r, fill: '#fff', stroke: '#555', 'stroke-width': 1.2, id: 'chip' + id}, tsvg);
      if (labels) el('text', {x: q[0], y: q[1] + 3.5, 'font-size': Math.min(10, sp * 0.13), 'text-anchor': 'middle', fill: '#333'}, tsvg).textContent = q[2] + ',' + q[3];
    }
  })();
  var s0 = document.getElementById('t0'), s1 = document.getElementById('t1'), label = document.getElementById('window');
  s0.max = nb - 1; s1.min = 1; s1.max = nb; s0.value = 0; s1.value = nb;
  document.getElementById('ratenote').textContent = D.rate || '';
  var stepLinks = null;
  function redraw() {
    var b0 = Math.min(+s0.value, nb - 1), b1 = Math.max(+s1.value, b0 + 1);
    var best = -1, bestU = -1;
    segs.forEach(function (s) {
      var link = links[s[2]], u = mean(link, b0, b1);
      var lit = stepLinks === null || stepLinks[link[0]];
      s[0].setAttribute('stroke', lit ? color(u) : '#f4f4f4');
      s[1].textContent = link[1] + ': ' + (100 * u).toFixed(1) + '% of the effective rate (mean over the window)';
      if (u > bestU) { bestU = u; best = s[2]; }
    });
    label.textContent = 'window ' + fmtS(b0 * binW) + ' to ' + fmtS(b1 * binW) +
        (bestU > 0 ? '; most loaded link in it: ' + links[best][1] + ' (' + (100 * bestU).toFixed(1) + '% of the effective rate)' : '; no link busy');
  }
  s0.addEventListener('input', function () { if (+s1.value <= +s0.value) s1.value = +s0.value + 1; stepLinks = null; redraw(); });
  s1.addEventListener('input', function () { if (+s0.value >= +s1.value) s0.value = +s1.value - 1; stepLinks = null; redraw(); });
  document.getElementById('most').textContent = D.most_loaded;
  redraw();

  // The route of a transfer as points on the picture (dimension-order: x, then y, then z; the
  // shorter way round a wrapped axis, the positive way on a tie), broken where it wraps.
  function routePaths(from, to) {
    var c = chipXY(from), cur = [c[2], c[3], c[4]], t = chipXY(to), goal = [t[2], t[3], t[4]], dims = [X, Y, Z];
    var paths = [[chipXY(from).slice(0, 2)]];
    for (var a = 0; a < 3; ++a) {
      var k = dims[a], steps = goal[a] - cur[a];
      if (W[a]) { var dd = ((steps % k) + k) % k; steps = dd === 0 ? 0 : (dd <= k - dd ? dd : -(k - dd)); }
      for (var n = 0; n < Math.abs(steps); ++n) {
        var next = cur.slice(); next[a] = (cur[a] + (steps > 0 ? 1 : -1) + k) % k;
        var p = chipXY(cur[0] + X * (cur[1] + Y * cur[2])), q = chipXY(next[0] + X * (next[1] + Y * next[2]));
        var wrapped = steps > 0 ? next[a] < cur[a] : next[a] > cur[a];
        if (wrapped && a < 2) {  // wraparound: leave by the stub, come back in from the far side
          var ux = a === 0 ? (steps > 0 ? 1 : -1) : 0, uy = a === 1 ? (steps > 0 ? 1 : -1) : 0;
          paths[paths.length - 1].push([p[0] + ux * sp * 0.45, p[1] + uy * sp * 0.45]);
          paths.push([[q[0] - ux * sp * 0.45, q[1] - uy * sp * 0.45], [q[0], q[1]]]);
        } else {
          paths[paths.length - 1].push([q[0], q[1]]);
        }
        cur = next;
      }
    }
    return paths;
  }
  var moveLayer = el('g', {id: 'moves'}, tsvg), movers = [];
  el('marker', {id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse'}, el('defs', {}, tsvg));
  el('path', {d: 'M 0 0 L 10 5 L 0 10 z', fill: '#1f5fa8'}, tsvg.querySelector('marker'));
  // Shifts a path to the left of its travel (where the link segments are drawn) and stops it short
  // of the chips, so that the arrows sit beside their links and leave the chip labels readable.
  function besideLinks(path) {
    var out = [], off = sp > 30 ? 9 : 3, r = sp >= 34 ? Math.min(13, sp * 0.16) + 3 : 3;
    for (var i = 0; i + 1 < path.length; ++i) {
      var a = path[i], b = path[i + 1], dx = b[0] - a[0], dy = b[1] - a[1], n = Math.sqrt(dx * dx + dy * dy) || 1;
      var ux = dx / n, uy = dy / n, nx = -uy, ny = ux;  // the side the link segments are drawn on
      var ta = i === 0 ? r : 0, tb = i + 2 === path.length ? r : 0;
      out.push([a[0] + ux * ta + nx * off, a[1] + uy * ta + ny * off]);
      out.push([b[0] - ux * tb + nx * off, b[1] - uy * tb + ny * off]);
    }
    return out.length ? out : path;
  }
  function showMoves(moves) {
    moveLayer.textContent = ''; movers = [];
    var note = document.getElementById('movesnote');
    note.textContent = '';
    if (moves.length > 24) {
      var first = moves[0][0], p = chipXY(first);
      var total = moves.length;
      moves = moves.filter(function (mv) { return mv[0] === first; });
      note.textContent = 'Arrows: the ' + moves.length + ' transfers of chip c(' + p[2] + ',' + p[3] + ',' + p[4] +
          ') of the ' + total + ' listed; every other chip sends the same pattern, shifted.';
    }
    for (var id = 0; id < X * Y * Z; ++id) document.getElementById('chip' + id).setAttribute('fill', '#fff');
    // Blue: sends only; orange: receives only; green: both (a ring step: every chip of the ring).
    var role = {};
    moves.forEach(function (mv) { role[mv[0]] = (role[mv[0]] || 0) | 1; role[mv[1]] = (role[mv[1]] || 0) | 2; });
    for (var c in role) document.getElementById('chip' + c).setAttribute('fill', ['#fff', '#cfe3f7', '#fde2b8', '#cfeccb'][role[c]]);
    moves.forEach(function (mv) {
      var paths = routePaths(mv[0], mv[1]).map(besideLinks), pts = [];
      paths.forEach(function (path, i) {
        el('polyline', {points: path.map(function (p) { return p.join(','); }).join(' '), fill: 'none', stroke: '#1f5fa8', 'stroke-width': 1.6, 'stroke-dasharray': '4 3', opacity: 0.8, 'marker-end': i === paths.length - 1 ? 'url(#arrow)' : ''}, moveLayer);
        pts = pts.concat(path);
      });
      var dot = el('circle', {r: Math.max(3, Math.min(7, sp * 0.08)), fill: '#1f5fa8', cx: pts[0][0], cy: pts[0][1]}, moveLayer);
      movers.push([dot, pts]);
    });
    // Lit links that leave no chip of the arrows: the other groups, doing the same step at once.
    var senders = {};
    moves.forEach(function (mv) { senders[mv[0]] = true; });
    var others = 0;
    for (var l in stepLinks || {}) if (!senders[Math.floor(+l / 6)]) ++others;
    if (others > 0 && moves.length)
      note.textContent += (note.textContent ? ' ' : '') + 'Links lit without arrows: the other groups of the slice, running the same step at the same time.';
  }
  // A moving dot per transfer: at 40% of its way in a still picture, animated otherwise.
  function placeDots(f) {
    movers.forEach(function (m) {
      var pts = m[1], n = pts.length - 1, x = f * n, i = Math.min(n - 1, Math.floor(x)), g = x - i;
      if (n < 1) return;
      m[0].setAttribute('cx', pts[i][0] + g * (pts[i + 1][0] - pts[i][0]));
      m[0].setAttribute('cy', pts[i][1] + g * (pts[i + 1][1] - pts[i][1]));
    });
  }
  var t0 = null;
  function animate(ts) {
    if (t0 === null) t0 = ts;
    placeDots(((ts - t0) % 1600) / 1600);
    window.requestAnimationFrame(animate);
  }

  // Teaching mode: steps. #step=N in the address opens step N (1-based).
  (function () {
    var box = document.getElementById('steps');
    if (!D.steps.length) { box.style.display = 'none'; return; }
    document.getElementById('torustitle').textContent = 'Step by step on the torus';
    // Teaching mode: the picture and its controls come first, right under the title.
    var first = document.getElementById('scenariotitle');
    [document.getElementById('torustitle'), document.querySelector('.stage')].forEach(function (n) {
      first.parentNode.insertBefore(n, first);
    });
    var i = 0, timer = null, title = document.getElementById('steptitle'), list = document.getElementById('steplines');
    var m = /step=(\d+)/.exec(window.location.hash || '');
    if (m) i = Math.max(0, Math.min(D.steps.length - 1, +m[1] - 1));
    function show() {
      var st = D.steps[i];
      document.getElementById('stepcount').textContent = (i + 1) + ' / ' + D.steps.length;
      title.textContent = st.title + ' (' + fmtS(st.t0) + ' to ' + fmtS(st.t1) + ')';
      list.textContent = '';
      st.lines.slice(0, 300).forEach(function (l) { h('li', l, list); });
      if (st.lines.length > 300) h('li', '... and ' + (st.lines.length - 300) + ' more', list);
      s0.value = Math.min(nb - 1, Math.floor(st.t0 / binW));
      s1.value = Math.max(+s0.value + 1, Math.ceil(st.t1 / binW));
      stepLinks = {}; st.links.forEach(function (l) { stepLinks[l] = true; });
      redraw();
      showMoves(st.moves || []);
      placeDots(0.4);
    }
    document.getElementById('prev').addEventListener('click', function () { i = (i + D.steps.length - 1) % D.steps.length; show(); });
    document.getElementById('next').addEventListener('click', function () { i = (i + 1) % D.steps.length; show(); });
    document.getElementById('play').addEventListener('click', function () {
      if (timer) { clearInterval(timer); timer = null; return; }
      timer = setInterval(function () { i = (i + 1) % D.steps.length; show(); }, 1600);
    });
    show();
    if (!/still/.test(window.location.hash || '')) window.requestAnimationFrame(animate);
  })();
  document.body.setAttribute('data-rendered', 'yes');
})();

(function () {
  var svg = document.getElementById('legend'), NS = 'http://www.w3.org/2000/svg';
  function add(tag, attrs) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    svg.appendChild(e);
    return e;
  }
  var stops = [[255, 237, 160], [254, 178, 76], [240, 59, 32], [128, 0, 38]];
  for (var i = 0; i <= 10; ++i) {
    var u = i / 10, x = u * 3, k = Math.min(2, Math.floor(x)), f = x - k;
    var c = [0, 1, 2].map(function (j) { return Math.round(stops[k][j] + f * (stops[k + 1][j] - stops[k][j])); });
    add('rect', {x: 10 + i * 28, y: 0, width: 28, height: 14, fill: i === 0 ? '#e4e4e4' : 'rgb(' + c.join(',') + ')'});
  }
  [['idle', 0], ['50%', 5], ['100%', 10]].forEach(function (t) {
    var e = add('text', {x: 10 + t[1] * 28 + 14, y: 28, 'font-size': 11, 'text-anchor': 'middle'});
    e.textContent = t[0];
  });
})();
