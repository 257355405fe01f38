/* zramsim report of a replay: summary, where the bytes go, size classes, mm_stat, zspage map. */
(function () {
  "use strict";
  var D = Z.data, doc = D.doc, h = Z.h, s = Z.s, num = Z.num;
  var PART_COLORS = { requested: "#4e79a7", headers: "#f28e2b", class_rounding: "#edc948",
                      unused_slots: "#e15759", tail_waste: "#bab0ac" };
  var SERIES_COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#9c755f"];
  function label(name) { return name.replace(/_/g, " "); }
  function cell(key, value, digits) { return h("td", { "data-key": key }, num(value, digits)); }

  /* The zspage map: the same drawing as `zramsim zspages --svg` (constants from Python). */
  Z.drawMap = function (rows, pageSize, changes) {
    var G = D.drawing, maxPages = 1;
    rows.forEach(function (r) { maxPages = Math.max(maxPages, r[3]); });
    var W = Math.max(G.LEFT * 2 + maxPages * (G.FRAME_W + G.GAP), 480), H = G.TOP * 2 + Math.max(rows.length, 1) * G.ROW_H;
    var svg = s("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, "data-zspages": rows.length });
    svg.appendChild(s("rect", { width: W, height: H, fill: "white" }));
    if (!rows.length) svg.appendChild(s("text", { x: G.LEFT, y: G.TOP + 14, text: "no zspages" }));
    var marks = {};
    (changes || []).forEach(function (c) { marks[c[0] + ":" + c[1]] = c[2]; });
    var live = 0;
    rows.forEach(function (r, row) {
      var zid = r[0], cidx = r[1], csize = r[2], pages = r[3], objs = r[4], group = r[5], owner = r[6], size = r[7];
      var inuse = owner.filter(function (o) { return o >= 0; }).length;
      var y = G.TOP + row * G.ROW_H, fy = y + 20, scale = G.FRAME_W / pageSize;
      svg.appendChild(s("text", { x: G.LEFT, y: y + 12, text: "class " + cidx + " (" + csize + " B) zspage " + zid + ": " +
                                  inuse + "/" + objs + " objects, group " + D.group_labels[group] }));
      for (var f = 0; f < pages; f++) {
        var fx = G.LEFT + f * (G.FRAME_W + G.GAP);
        if (f) svg.appendChild(s("line", { x1: fx - G.GAP, y1: fy + G.FRAME_H / 2, x2: fx, y2: fy + G.FRAME_H / 2, stroke: "black" }));
        svg.appendChild(s("rect", { x: fx, y: fy, width: G.FRAME_W, height: G.FRAME_H, fill: "#dddddd", stroke: "black" }));
      }
      for (var k = 0; k < objs; k++) {
        var start = k * csize, end = start + csize, first = Math.floor(start / pageSize), last = Math.floor((end - 1) / pageSize);
        var used = owner[k] >= 0, spans = first !== last, mark = marks[zid + ":" + k];
        if (used) live++;
        var tip = "zspage " + zid + " slot " + k + (used ? ": zram slot " + owner[k] + ", object " + size[k] + " B" : ": free") +
                  ", class " + cidx + " (" + csize + " B), " + (spans ? "spans frames " + first + "-" + last : "in frame " + first) +
                  (mark ? " [" + label(mark) + "]" : "");
        for (var fr = first; fr <= last; fr++) {
          var lo = Math.max(start, fr * pageSize) - fr * pageSize, hi = Math.min(end, (fr + 1) * pageSize) - fr * pageSize;
          var a = { x: (G.LEFT + fr * (G.FRAME_W + G.GAP) + lo * scale).toFixed(2), y: fy, width: ((hi - lo) * scale).toFixed(2),
                    height: G.FRAME_H, class: "obj" + (used ? " live" : " free"), "data-z": zid, "data-slot": k,
                    fill: used ? G.LIVE_FILLS[k % 2] : "white", stroke: spans ? G.SPAN_STROKE : "black",
                    "stroke-width": spans ? 2 : 0.5, "stroke-dasharray": used ? null : "2,2" };
          if (mark) {
            a["data-change"] = mark;
            a.stroke = mark === "new" ? "#59a14f" : mark === "freed" ? "#e15759" : "#f28e2b";
            a["stroke-width"] = 4;
            if (mark === "moved_from") a.fill = "#fde0c5";
          }
          svg.appendChild(s("rect", a, s("title", { text: tip })));
        }
      }
    });
    svg.setAttribute("data-live", live);
    return svg;
  };

  function summary() {
    var sec = Z.section("Summary", "In zramctl's terms, then the exact mm_stat and io_stat fields (bytes unless named pages).", "summary");
    if (doc.error) sec.appendChild(h("p", { class: "error", id: "replay-error", text: "The replay stopped: " + doc.error }));
    var c = doc.config;
    sec.appendChild(h("p", {}, num(doc.events) + " events; algorithm " + c.algorithm + " " + JSON.stringify(c.params) +
                      ", page size " + c.page_size + ", chain size " + c.chain_size + " (" + c.chain_rule + "), huge from " +
                      c.huge_class_size + " bytes" + (c.mem_limit ? ", mem_limit " + num(c.mem_limit) : "")));
    var head = h("tr"), row = h("tr");
    D.zramctl.forEach(function (kv) { head.appendChild(h("th", { text: kv[0] })); row.appendChild(h("td", { text: kv[1] })); });
    sec.appendChild(h("table", { id: "zramctl" }, h("thead", {}, head), h("tbody", {}, row)));
    var cards = h("div", { class: "cards" });
    [["compression_ratio", "compression ratio", "orig_data_size / compr_data_size: what the compressor achieved"],
     ["effective_ratio", "effective ratio", "orig_data_size / mem_used_total: what the RAM saw (zramctl COMP-RATIO)"],
     ["allocator_efficiency", "allocator efficiency", "compr_data_size / mem_used_total: how well zsmalloc packed"]
    ].forEach(function (r) {
      cards.appendChild(h("div", { class: "card", title: r[2] }, h("b", { "data-key": r[0], text: num(doc[r[0]], 4) }),
                          h("span", { text: r[1] }), h("div", { class: "note", text: r[2] })));
    });
    sec.appendChild(cards);
    var t = h("tbody");
    Object.keys(doc.mm_stat).forEach(function (k) { t.appendChild(h("tr", {}, h("th", { class: "text", text: k }), cell("mm_stat." + k, doc.mm_stat[k]))); });
    var t2 = h("tbody");
    Object.keys(doc.io_stat).forEach(function (k) { t2.appendChild(h("tr", {}, h("th", { class: "text", text: k }), cell("io_stat." + k, doc.io_stat[k]))); });
    Object.keys(doc.pages).forEach(function (k) { t2.appendChild(h("tr", {}, h("th", { class: "text", text: "pages " + label(k) }), cell("pages." + k, doc.pages[k]))); });
    ["disksize", "reads", "writes", "spanning_reads"].forEach(function (k) {
      t2.appendChild(h("tr", {}, h("th", { class: "text", text: k }), cell(k, doc[k])));
    });
    sec.appendChild(h("div", { class: "two" }, h("table", { id: "mm_stat" }, t), h("table", { id: "io_stat" }, t2)));
  }

  function fragmentation() {
    var f = doc.fragmentation;
    var sec = Z.section("Where the memory goes", "Every byte of zsmalloc's pages by use; the parts add up to TOTAL (mem_used_total = " +
                        num(doc.mm_stat.mem_used_total) + " bytes).", "memory");
    var parts = D.fragmentation_parts.map(function (k) { return { name: label(k), color: PART_COLORS[k], values: [f[k]] }; });
    sec.appendChild(Z.bars({ labels: ["TOTAL"], parts: parts, horizontal: true, width: 1100, left: 60 }));
    sec.appendChild(Z.legend(parts));
    var t = h("tbody");
    D.fragmentation_parts.forEach(function (k) {
      t.appendChild(h("tr", {}, h("th", { class: "text" }, h("i", { class: "swatch", style: "background:" + PART_COLORS[k] }), label(k)),
                      cell("fragmentation." + k, f[k]), h("td", { text: f.total ? (100 * f[k] / f.total).toFixed(2) + "%" : "-" })));
    });
    t.appendChild(h("tr", {}, h("th", { class: "text", text: "TOTAL" }), cell("fragmentation.total", f.total), h("td", { text: "100%" })));
    sec.appendChild(h("table", { id: "fragmentation" }, t));
  }

  function classes() {
    var sec = Z.section("Size classes", "Per class: objects, zspages and pages (debugfs classes), the zspages in each fullness group, " +
                        "and the bytes of its pages by use. Click a column to sort.", "classes");
    var rows = doc.classes.map(function (c, i) { return Object.assign({}, c, D.class_extra[i]); });
    sec.appendChild(Z.bars({ labels: rows.map(function (r) { return String(r.size); }),
                             title: function (i) { return "class " + rows[i].index + " (" + rows[i].size + " B)"; },
                             fmt: Z.bytes, bytes: true,
                             parts: D.fragmentation_parts.map(function (k) {
                               return { name: label(k), color: PART_COLORS[k], values: rows.map(function (r) { return r.fragmentation[k]; }) };
                             }) }));
    sec.appendChild(h("p", { class: "note", text: "Bytes of each class's pages by use (x: class size in bytes)." }));
    var groups = function (r) {
      return D.group_labels.slice(1).filter(function (g) { return r[g]; }).map(function (g) { return g + ":" + r[g]; }).join(" ");
    };
    sec.appendChild(h("div", { class: "scroll" }, Z.table([
      { key: "index", label: "class" }, { key: "size", label: "size" },
      { key: "obj_used", label: "objects" }, { key: "obj_allocated", label: "slots" },
      { key: "zspages", label: "zspages" }, { key: "pages_used", label: "pages" },
      { key: "pages_per_zspage", label: "pages/zspage" }, { key: "objs_per_zspage", label: "objs/zspage" },
      { key: groups, name: "groups", label: "fullness groups (zspages)", text: true, fmt: function (v) { return v; } },
      { key: "freeable", label: "freeable" },
      { key: function (r) { return r.fragmentation.requested; }, name: "requested", label: "requested B" },
      { key: "waste", label: "waste B", title: "headers + class rounding + unused slots + tail waste" },
    ], rows, { id: "classes" })));
  }

  function timeline() {
    var S = D.samples;
    if (!S) return;
    var sec = Z.section("mm_stat over the replay", "Sampled before every " + num(S.every) + " events (" + num(S.events.length) +
                        " samples, the last after the final event). Move the mouse over a chart to read the values.", "mm_stat");
    var readout = h("div", { class: "readout", id: "mm-readout" });
    function chart(fields, ylabel, yfmt) {
      var series = fields.map(function (f, i) {
        var col = S.fields.indexOf(f);
        return { name: f, color: SERIES_COLORS[i], dashed: /_max$|_since$/.test(f), points: S.events.map(function (e, j) { return [e, S.values[j][col]]; }) };
      });
      var box = h("div", {}, Z.lineChart({ series: series, xlabel: "events applied", ylabel: ylabel, yfmt: yfmt, width: 560,
        bytes: yfmt === Z.bytes,
        readout: readout, readfmt: function (j) {
          return "after " + num(S.events[j]) + " events: " + S.fields.map(function (f, c) { return f + " " + num(S.values[j][c]); }).join(", ");
        } }), Z.legend(series));
      return box;
    }
    sec.appendChild(h("div", { class: "two" },
      chart(["orig_data_size", "compr_data_size", "mem_used_total", "mem_used_max"], "bytes", Z.bytes),
      chart(["same_pages", "huge_pages", "pages_compacted", "huge_pages_since"], "pages")));
    sec.appendChild(readout);
  }

  function zspageMap() {
    var M = D.map;
    var sec = Z.section("Zspage map", "Each row a zspage, each box a page frame; filled: live object, dashed: free slot, grey: tail waste, " +
                        "red edge: an object spanning two frames. Hover an object for its slot, size, class and frames. At most " +
                        M.per_class + " slots' worth of zspages per class are drawn (of " + num(M.total) + " zspages in all).", "zspages");
    if (!M.zspages.length) { sec.appendChild(h("p", { text: "The pool holds no zspages." })); return; }
    var byClass = {}, order = [];
    M.zspages.forEach(function (r) { if (!byClass[r[1]]) { byClass[r[1]] = []; order.push(r[1]); } byClass[r[1]].push(r); });
    var total = {}, pages = {};
    doc.classes.forEach(function (c, i) { total[c.index] = D.class_extra[i].zspages; pages[c.index] = c.pages_used; });
    var pick = h("select", { id: "map-class" });
    order.forEach(function (ci) {
      var r = byClass[ci][0];
      pick.appendChild(h("option", { value: ci, text: "class " + ci + " (" + r[2] + " B): " + byClass[ci].length + " of " + total[ci] + " zspages" }));
    });
    /* open on the class with the most pages, preferring one that packs several objects a zspage */
    var rank = function (ci) { return (byClass[ci][0][4] > 1 ? 1e12 : 0) + pages[ci]; };
    var best = order.reduce(function (a, b) { return rank(b) > rank(a) ? b : a; }, order[0]);
    pick.value = best;
    var holder = h("div", { class: "map", id: "map" });
    function draw() { holder.textContent = ""; holder.appendChild(Z.drawMap(byClass[pick.value], M.page_size)); }
    pick.addEventListener("change", draw);
    sec.appendChild(h("div", { class: "controls" }, h("label", {}, "size class ", pick)));
    sec.appendChild(holder);
    draw();
  }

  summary();
  fragmentation();
  classes();
  timeline();
  zspageMap();
})();
