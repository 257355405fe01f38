/* zramsim report of a configuration sweep: ratio and time per configuration, and every row. */
(function () {
  "use strict";
  var D = Z.data, h = Z.h, num = Z.num, rows = D.rows;
  var RATIOS = [["effective_ratio", "effective ratio (orig / mem_used_total)", "#4e79a7"],
                ["compression_ratio", "compression ratio (orig / compr)", "#a0cbe8"]];

  var sec = Z.section("Ratio and time per configuration", rows.length + " runs; each labelled by the settings that differ.", "bars");
  var charts = h("div", { class: "two" });
  RATIOS.forEach(function (r) {
    if (!D.columns.includes(r[0])) return;
    charts.appendChild(h("div", { id: "chart-" + r[0] }, h("h3", { text: r[1] }),
      Z.bars({ labels: D.labels, horizontal: true, width: 540, fmt: function (v) { return num(v, 3); },
               parts: [{ name: r[0], color: r[2], values: rows.map(function (row) { return row[r[0]] === null ? 0 : row[r[0]]; }) }] })));
  });
  if (D.columns.includes("seconds"))
    charts.appendChild(h("div", { id: "chart-seconds" }, h("h3", { text: "seconds" }),
      Z.bars({ labels: D.labels, horizontal: true, width: 540, fmt: function (v) { return num(v, 2) + " s"; },
               parts: [{ name: "seconds", color: "#f28e2b", values: rows.map(function (row) { return row.seconds; }) }] })));
  sec.appendChild(charts);

  var all = Z.section("Every run", "Click a column to sort.", "rows");
  var columns = [{ key: "_label", label: "configuration", text: true, fmt: String }].concat(D.columns.map(function (c) {
    return { key: c, label: c.replace(/_/g, " "), text: typeof rows[0][c] === "string",
             fmt: function (v) { return v === null || v === undefined ? "-" : typeof v === "number" ? num(v) : String(v); } };
  }));
  var labelled = rows.map(function (r, i) { return Object.assign({ _label: D.labels[i] }, r); });
  all.appendChild(h("div", { class: "scroll" }, Z.table(columns, labelled, { id: "sweep-table" })));
  Z.ready();
})();
