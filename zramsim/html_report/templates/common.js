/* zramsim report: small helpers shared by every page (elements, numbers, tables, charts).
   Every number drawn comes from the JSON in #data; nothing here computes a statistic. */
"use strict";
var Z = (function () {
  var SVGNS = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("data").textContent);
  var app = document.getElementById("app");

  function fill(node, attrs, kids) {
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null) return;
      if (k === "text") node.textContent = v;
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    });
    (kids || []).forEach(function (kid) {
      if (kid === null || kid === undefined) return;
      node.appendChild(typeof kid === "object" ? kid : document.createTextNode(String(kid)));
    });
    return node;
  }
  function h(tag, attrs) { return fill(document.createElement(tag), attrs, [].slice.call(arguments, 2)); }
  function s(tag, attrs) { return fill(document.createElementNS(SVGNS, tag), attrs, [].slice.call(arguments, 2)); }

  /* 1234567 -> "1,234,567"; floats keep `digits` decimals; null (an infinite ratio) -> "inf". */
  function num(x, digits) {
    if (x === null || x === undefined) return "inf";
    var t = digits === undefined ? String(x) : x.toFixed(digits);
    var parts = t.split(".");
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return parts.join(".");
  }
  function bytes(n) {   /* for axes only: 1.5M style, powers of 1024 */
    var units = ["B", "K", "M", "G", "T"], i = 0;
    while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (Math.round(n * 10) / 10) + units[i];
  }
  function section(title, note, id) {
    var sec = h("section", { id: id }, h("h2", { text: title }), note ? h("p", { class: "note", text: note }) : null);
    app.appendChild(sec);
    return sec;
  }
  function legend(items) {
    return h.apply(null, ["div", { class: "legend" }].concat(items.map(function (it) {
      return h("span", {}, h("i", { style: "background:" + it.color }), it.name);
    })));
  }

  /* A table whose headers sort it. columns: [{key, label, fmt(value,row), text}] */
  function table(columns, rows, opts) {
    opts = opts || {};
    var tbody = h("tbody"), order = { key: null, up: false };
    var head = h("tr");
    var t = h("table", { class: opts.sortable === false ? "" : "sortable", id: opts.id },
              h("thead", {}, head), tbody);
    function draw() {
      tbody.textContent = "";
      rows.forEach(function (row) {
        var tr = h("tr");
        columns.forEach(function (c) {
          var v = typeof c.key === "function" ? c.key(row) : row[c.key];
          tr.appendChild(h("td", { class: c.text ? "text" : null, "data-col": c.name || c.key },
                           c.fmt ? c.fmt(v, row) : num(v, Number.isInteger(v) ? undefined : c.digits === undefined ? 4 : c.digits)));
        });
        tbody.appendChild(tr);
      });
    }
    columns.forEach(function (c) {
      var th = h("th", { class: c.text ? "text" : null, title: c.title, text: c.label });
      if (opts.sortable !== false) th.addEventListener("click", function () {
        order.up = order.key === c ? !order.up : false;
        order.key = c;
        var get = function (r) { return typeof c.key === "function" ? c.key(r) : r[c.key]; };
        rows = rows.slice().sort(function (a, b) {
          var x = get(a), y = get(b), d = (x > y) - (x < y);
          return order.up ? d : -d;
        });
        [].forEach.call(head.children, function (o) { o.className = c.text ? "text" : ""; });
        th.className = (c.text ? "text " : "") + "sorted" + (order.up ? " up" : "");
        draw();
      });
      head.appendChild(th);
    });
    draw();
    return t;
  }

  /* Round axis values from lo to hi, about n of them; byte axes step in K, M, G (of 1024). */
  function ticks(lo, hi, n, log, bytes) {
    if (bytes) {
      var unit = 1;
      while (hi / unit >= 1024) unit *= 1024;
      return ticks(lo / unit, hi / unit, n).map(function (v) { return v * unit; });
    }
    if (log) {
      var out = [];
      for (var e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(Math.pow(10, e));
      return out;
    }
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n || 1)));
    [1, 2, 5, 10].some(function (m) { if ((hi - lo) / (step * m) <= n) { step *= m; return true; } });
    var res = [];
    for (var i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) res.push(parseFloat((i * step).toPrecision(12)));
    return res;
  }

  /* A line chart. o: {series: [{name, color, points: [[x, y]]}], width, height, xlabel, ylabel,
     ylog, yfmt, xfmt, marks: [{x, y, color, title}], readout: element, readfmt(x) } */
  function lineChart(o) {
    var W = o.width || 540, H = o.height || 260, L = 64, R = 12, T = 10, B = 38;
    var xs = [], ys = [];
    o.series.forEach(function (se) { se.points.forEach(function (p) { xs.push(p[0]); ys.push(p[1]); }); });
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    var y0 = o.ylog ? Math.min.apply(null, ys.filter(function (y) { return y > 0; })) : Math.min(0, Math.min.apply(null, ys));
    var y1 = Math.max.apply(null, ys);
    if (x1 === x0) x1 = x0 + 1;
    if (!(y1 > y0)) y1 = y0 + 1;
    if (!o.ylog) y1 += (y1 - y0) * 0.05;
    if (o.ylog) { y0 = Math.pow(10, Math.floor(Math.log10(y0))); y1 = Math.pow(10, Math.ceil(Math.log10(y1))); }
    var X = function (x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
    var Y = o.ylog ? function (y) { return T + (1 - (Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * (H - T - B); }
                   : function (y) { return T + (1 - (y - y0) / (y1 - y0)) * (H - T - B); };
    var svg = s("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img" });
    var grid = s("g", { class: "grid" }), axis = s("g", { class: "axis" });
    ticks(y0, y1, 5, o.ylog, o.bytes).forEach(function (v) {
      grid.appendChild(s("line", { x1: L, x2: W - R, y1: Y(v), y2: Y(v) }));
      axis.appendChild(s("text", { x: L - 5, y: Y(v) + 4, "text-anchor": "end", text: (o.yfmt || num)(v) }));
    });
    ticks(x0, x1, 6).forEach(function (v) {
      axis.appendChild(s("line", { x1: X(v), x2: X(v), y1: H - B, y2: H - B + 4 }));
      axis.appendChild(s("text", { x: X(v), y: H - B + 16, "text-anchor": "middle", text: (o.xfmt || num)(v) }));
    });
    axis.appendChild(s("path", { d: "M" + L + " " + T + "V" + (H - B) + "H" + (W - R), fill: "none" }));
    axis.appendChild(s("text", { x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle", text: o.xlabel || "" }));
    axis.appendChild(s("text", { x: 12, y: T + (H - T - B) / 2, transform: "rotate(-90 12 " + (T + (H - T - B) / 2) + ")",
                                 "text-anchor": "middle", text: o.ylabel || "" }));
    svg.appendChild(grid); svg.appendChild(axis);
    o.series.forEach(function (se) {
      if (!se.points.length) return;
      var d = se.points.map(function (p, i) { return (i ? "L" : "M") + X(p[0]).toFixed(1) + " " + Y(p[1]).toFixed(1); }).join("");
      svg.appendChild(s("path", { d: d, fill: "none", stroke: se.color, "stroke-width": 2, "data-series": se.name,
                                  "stroke-dasharray": se.dashed ? "6,4" : null }));
      if (se.dots) se.points.forEach(function (p) {
        svg.appendChild(s("circle", { cx: X(p[0]), cy: Y(p[1]), r: 2.5, fill: se.color },
                          s("title", { text: se.name + ": " + (o.xfmt || num)(p[0]) + " -> " + (o.yfmt || num)(p[1]) })));
      });
    });
    (o.marks || []).forEach(function (m) {
      svg.appendChild(s("circle", { cx: X(m.x), cy: Y(m.y), r: 8, fill: "none", stroke: m.color, "stroke-width": 2, class: "knee" },
                        s("title", { text: m.title })));
    });
    if (o.readout) {
      var rule = s("line", { y1: T, y2: H - B, stroke: "#999", "stroke-dasharray": "3,3", visibility: "hidden" });
      svg.appendChild(rule);
      var pad = s("rect", { x: L, y: T, width: W - L - R, height: H - T - B, fill: "transparent" });
      pad.addEventListener("mousemove", function (ev) {
        var box = svg.getBoundingClientRect(), x = x0 + (ev.clientX - box.left - L) / (W - L - R) * (x1 - x0);
        var pts = o.series[0].points, best = 0;
        pts.forEach(function (p, i) { if (Math.abs(p[0] - x) < Math.abs(pts[best][0] - x)) best = i; });
        rule.setAttribute("x1", X(pts[best][0])); rule.setAttribute("x2", X(pts[best][0]));
        rule.setAttribute("visibility", "visible");
        o.readout.textContent = o.readfmt(best);
      });
      svg.appendChild(pad);
    }
    return svg;
  }

  /* Stacked bars. o: {labels, parts: [{name, color, values}], horizontal, width, height, fmt, title(i)} */
  function bars(o) {
    var n = o.labels.length, fmt = o.fmt || num;
    var totals = o.labels.map(function (_, i) { return o.parts.reduce(function (a, p) { return a + p.values[i]; }, 0); });
    var top = Math.max.apply(null, totals.concat([1e-12]));
    var svg;
    if (o.horizontal) {
      var L = o.left || 200, W = o.width || 540, bh = 18, H = n * (bh + 6) + 10;
      svg = s("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H });
      o.labels.forEach(function (label, i) {
        var y = 4 + i * (bh + 6), x = L;
        svg.appendChild(s("text", { x: L - 6, y: y + 13, "text-anchor": "end", text: label }));
        o.parts.forEach(function (p) {
          var w = p.values[i] / top * (W - L - 80);
          svg.appendChild(s("rect", { x: x, y: y, width: Math.max(w, 0), height: bh, fill: p.color },
                            s("title", { text: label + ": " + p.name + " " + fmt(p.values[i]) })));
          x += w;
        });
        svg.appendChild(s("text", { x: x + 4, y: y + 13, text: fmt(totals[i]) }));
      });
      return svg;
    }
    var W2 = o.width || 1100, H2 = o.height || 240, L2 = 64, B2 = 40, T2 = 8;
    var bw = Math.max(2, (W2 - L2 - 10) / Math.max(n, 1) - 2);
    svg = s("svg", { width: W2, height: H2, viewBox: "0 0 " + W2 + " " + H2 });
    var axis = s("g", { class: "axis" });
    ticks(0, top, 4, false, o.bytes).forEach(function (v) {
      var y = T2 + (1 - v / top) * (H2 - T2 - B2);
      axis.appendChild(s("line", { x1: L2, x2: W2 - 10, y1: y, y2: y, stroke: "#eee" }));
      axis.appendChild(s("text", { x: L2 - 5, y: y + 4, "text-anchor": "end", text: fmt(v) }));
    });
    svg.appendChild(axis);
    o.labels.forEach(function (label, i) {
      var x = L2 + 1 + i * (bw + 2), y = H2 - B2;
      o.parts.forEach(function (p) {
        var hgt = p.values[i] / top * (H2 - T2 - B2);
        y -= hgt;
        svg.appendChild(s("rect", { x: x, y: y, width: bw, height: Math.max(hgt, 0), fill: p.color },
                          s("title", { text: (o.title ? o.title(i) : label) + ": " + p.name + " " + num(p.values[i]) })));
      });
      if (n <= 40 || i % Math.ceil(n / 40) === 0)
        svg.appendChild(s("text", { x: x + bw / 2, y: H2 - B2 + 12, "text-anchor": "end",
                                    transform: "rotate(-60 " + (x + bw / 2) + " " + (H2 - B2 + 12) + ")", text: label }));
    });
    return svg;
  }

  /* Called last by each page: #only=ID keeps only that section (for slides and screenshots). */
  function ready() {
    var only = hashParams().only;
    if (only) [].forEach.call(app.children, function (sec) { sec.hidden = sec.id !== only; });
    document.body.setAttribute("data-ready", "1");
    document.body.setAttribute("data-ready-ms", Math.round(performance.now()));   /* since navigation */
  }
  function hashParams() {
    var out = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      if (!kv) return;
      var p = kv.split("=");
      out[p[0]] = p.length > 1 ? decodeURIComponent(p[1]) : "";
    });
    return out;
  }
  return { data: data, app: app, h: h, s: s, num: num, bytes: bytes, section: section,
           legend: legend, table: table, lineChart: lineChart, bars: bars, ready: ready,
           hashParams: hashParams };
})();
