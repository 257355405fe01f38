/* zramsim report: the step-through of a small trace. Every state was computed by the real
   device in Python; this only shows state k. URL: #steps=N opens at step N, #play plays. */
(function () {
  "use strict";
  var D = Z.data, h = Z.h, num = Z.num;

  function build() {
    var S = D.steps, states = S.states, last = states.length - 1, k = 0, timer = null;
    var sec = Z.section("Step through the trace", "The " + last + " events replayed one by one on a fresh device. " +
                        "Green edge: a new object; red: freed; orange: moved by compaction (pale: where it came from).", "steps");
    var counter = h("span", { id: "step-counter" }), event = h("span", { class: "step-event", id: "step-event" });
    var play = h("button", { id: "step-play", text: "\u25B6 play" });
    function button(text, id, to) { return h("button", { id: id, text: text, onclick: function () { stop(); show(to()); } }); }
    sec.appendChild(h("div", { class: "controls" },
      button("first", "step-first", function () { return 0; }),
      button("\u25C0 back", "step-back", function () { return k - 1; }),
      play,
      button("step \u25B6", "step-next", function () { return k + 1; }),
      button("last", "step-last", function () { return last; }),
      counter, event));
    var narration = h("div", { class: "narration", id: "step-narration" });
    sec.appendChild(narration);
    var gHead = h("tr"), gRow = h("tr", { id: "step-groups" });
    D.group_labels.slice(1).forEach(function (g) { gHead.appendChild(h("th", { text: g })); gRow.appendChild(h("td")); });
    var mHead = h("tr"), mRow = h("tr", { id: "step-mm" });
    D.samples.fields.forEach(function (f) { mHead.appendChild(h("th", { text: f })); mRow.appendChild(h("td")); });
    sec.appendChild(h("p", { class: "note", text: "Zspages in each fullness group (all classes; yellow: changed by this step)" }));
    sec.appendChild(h("table", { class: "groups" }, h("thead", {}, gHead), h("tbody", {}, gRow)));
    sec.appendChild(h("div", { class: "scroll" }, h("table", {}, h("thead", {}, mHead), h("tbody", {}, mRow))));
    var map = h("div", { class: "map", id: "step-map" });
    sec.appendChild(map);

    function show(i) {
      k = Math.max(0, Math.min(last, i));
      var st = states[k], prev = states[Math.max(k - 1, 0)];
      sec.setAttribute("data-step", k);
      counter.textContent = "step " + k + " of " + last;
      event.textContent = st.event || "(before the first event)";
      narration.textContent = st.lines.join("\n") || "An empty device: no zspages yet.";
      st.groups.slice(1).forEach(function (n, g) {
        var td = gRow.children[g];
        td.textContent = num(n);
        td.className = k && n !== prev.groups[g + 1] ? "changed" : "";
      });
      st.mm.forEach(function (v, c) { mRow.children[c].textContent = num(v); });
      map.textContent = "";
      map.appendChild(Z.drawMap(st.zspages, S.page_size, st.changes));
    }
    function stop() { if (timer) clearInterval(timer); timer = null; play.textContent = "\u25B6 play"; }
    function start() {
      if (k >= last) show(0);
      play.textContent = "\u23F8 pause";
      timer = setInterval(function () { if (k >= last) stop(); else show(k + 1); }, 700);
    }
    play.addEventListener("click", function () { if (timer) stop(); else start(); });
    var args = Z.hashParams();
    show(args.steps ? parseInt(args.steps, 10) || 0 : 0);
    if ("play" in args) start();
  }

  if (D.steps) build();
  Z.ready();
})();
