/* zramsim report of a pressure experiment: fault rate and time per access against RAM,
   the knee circled; or, for a --timeline run, the pages held over time. */
(function () {
  "use strict";
  var D = Z.data, doc = D.doc, h = Z.h, num = Z.num;
  var COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f"];
  function dash(v, f) { return v === null || v === undefined ? "-" : (f ? f(v) : num(v)); }

  function sweep() {
    var labels = D.labels, runs = {};
    labels.forEach(function (l) { runs[l] = []; });
    doc.summaries.forEach(function (r) { runs[r.label].push(r); });
    labels.forEach(function (l) { runs[l].sort(function (a, b) { return a.ram_pages - b.ram_pages; }); });
    function series(metric) {
      return labels.map(function (l, i) {
        return { name: l, color: COLORS[i % COLORS.length], dots: true,
                 points: runs[l].filter(function (r) { return r.oom_at === null; }).map(function (r) { return [r.ram_pages, r[metric]]; }) };
      }).filter(function (se) { return se.points.length; });
    }
    function knees(metric) {
      var out = [];
      labels.forEach(function (l, i) {
        var at = runs[l].filter(function (r) { return r.ram_pages === doc.knee[l] && r.oom_at === null; })[0];
        if (at) out.push({ x: at.ram_pages, y: at[metric], color: COLORS[i % COLORS.length],
                           title: l + ": knee at " + num(at.ram_pages) + " frames" });
      });
      return out;
    }
    var sec = Z.section("Fault rate and time per access against RAM",
                        "One line per setup; circles: the thrashing knee; runs that ran out of memory are left out.", "curves");
    var fr = series("fault_rate"), ns = series("est_ns_per_access");
    sec.appendChild(h("div", { class: "two" },
      h("div", { id: "fault-chart" }, Z.lineChart({ series: fr, marks: knees("fault_rate"), xlabel: "RAM (frames)",
                                                    ylabel: "swap-ins per access", yfmt: function (v) { return num(v, 3); } })),
      h("div", { id: "time-chart" }, Z.lineChart({ series: ns, marks: knees("est_ns_per_access"), xlabel: "RAM (frames)", ylog: true,
                                                   ylabel: "estimated ns per access", yfmt: function (v) { return num(v); } }))));
    sec.appendChild(Z.legend(fr));
    var s2 = Z.section("Per setup", "The knee, the smallest RAM that served every access, and the best effective memory.", "setups");
    s2.appendChild(Z.table([
      { key: "label", label: "setup", text: true, fmt: String },
      { key: "knee", label: "knee (frames)", fmt: function (v) { return dash(v); } },
      { key: "min_ram", label: "smallest RAM without OOM", fmt: function (v) { return dash(v); } },
      { key: "gain", label: "effective memory", fmt: function (v) { return dash(v, function (x) { return num(x, 2) + "x"; }); } },
    ], labels.map(function (l) { return { label: l, knee: doc.knee[l], min_ram: doc.min_ram[l], gain: doc.gain[l] }; }), { id: "setups-table" }));
    var s3 = Z.section("Every run", "As `pressure --format json` prints them; click a column to sort.", "runs");
    s3.appendChild(h("div", { class: "scroll" }, Z.table([
      { key: "label", label: "setup", text: true, fmt: String }, { key: "ram_pages", label: "ram" },
      { key: "oom_at", label: "oom_at", fmt: function (v) { return dash(v); } }, { key: "faults", label: "faults" },
      { key: "swap_ins", label: "swap_ins" }, { key: "swap_outs", label: "swap_outs" },
      { key: "fault_rate", label: "fault_rate", digits: 3 }, { key: "compr_ratio", label: "ratio", digits: 3 },
      { key: "zram_frames_max", label: "zram_max" }, { key: "effective_memory", label: "eff_mem", digits: 3 },
      { key: "est_ns_per_access", label: "ns/access", fmt: function (v) { return num(Math.round(v)); } },
    ], doc.summaries.slice(), { id: "runs-table" })));
  }

  function timeline() {
    var t = doc.timeline, sm = doc.summary;
    var sec = Z.section(sm.label + " on " + num(sm.ram_pages) + " frames", "Effective memory " + num(sm.effective_memory, 2) +
                        "x, OOM at " + dash(sm.oom_at) + ", " + num(sm.est_ns_per_access, 0) + " ns per access.", "timeline");
    if (!t.length) { sec.appendChild(h("p", { text: "The timeline holds no samples." })); return; }
    var se = [["resident_pages", "resident pages"], ["zram_pages", "pages held in zram"], ["zram_frames", "zram frames (mem_used_total)"]]
      .map(function (f, i) { return { name: f[1], color: COLORS[i], dots: t.length < 60, points: t.map(function (p) { return [p.access, p[f[0]]]; }) }; });
    se.push({ name: "RAM", color: "#999", points: [[t[0].access, sm.ram_pages], [t[t.length - 1].access, sm.ram_pages]] });
    var readout = h("div", { class: "readout" });
    sec.appendChild(Z.lineChart({ series: se, xlabel: "accesses", ylabel: "pages", width: 900, readout: readout,
      readfmt: function (j) { var p = t[j]; return "after " + num(p.access) + " accesses: resident " + num(p.resident_pages) +
        ", in zram " + num(p.zram_pages) + ", zram frames " + num(p.zram_frames) + ", faults " + num(p.faults); } }));
    sec.appendChild(Z.legend(se));
    sec.appendChild(readout);
  }

  if (D.mode === "sweep") sweep(); else timeline();
  Z.ready();
})();
