// The live command log: each `command:executed` of this guild becomes a row (newest first, 200 kept).
"use strict";
(() => {
  const { h } = wolaro;
  const guild = wolaro.guild;
  const rows = document.getElementById("commands-rows");
  const empty = document.getElementById("commands-empty");
  const filter = document.getElementById("commands-filter");
  const count = document.getElementById("commands-count");
  const KEEP = 200;
  const RESULTS = {
    success: ["Succeeded", "ok"], denied: ["Refused", "warn"], invalid: ["Invalid input", "warn"], error: ["Error", "danger"],
  };
  let total = 0;

  function visible(row) {
    const wanted = filter.value;
    if (!wanted) return true;
    return wanted === "success" ? row.dataset.status === "success" : row.dataset.status !== "success";
  }

  function refilter() {
    for (const row of rows.children) row.hidden = !visible(row);
    empty.hidden = [...rows.children].some((row) => !row.hidden);
  }

  guild.on("command:executed", (message) => {
    const data = message.data || {};
    const [text, kind] = RESULTS[data.status] || [data.status || "?", ""];
    const row = h("tr", { class: "fresh", dataset: { status: data.status || "", command: data.command || "" } },
      h("td", { class: "when", "data-label": "When" }, wolaro.formatTime(message.ts)),
      h("td", { "data-label": "User" }, data.user || data.user_id || "?"),
      h("td", { "data-label": "Command" }, h("code", {}, data.command || "?")),
      h("td", { "data-label": "Result" }, h("span", { class: `badge ${kind}` }, text)),
      h("td", { "data-label": "Latency" }, data.latency_ms !== undefined ? `${Math.round(data.latency_ms)} ms` : "—"));
    row.hidden = !visible(row);
    rows.prepend(row);
    while (rows.children.length > KEEP) rows.lastElementChild.remove();
    total += 1;
    count.textContent = `${total} command${total === 1 ? "" : "s"}`;
    refilter();
  });

  filter.addEventListener("change", refilter);
  document.getElementById("commands-clear").addEventListener("click", () => { rows.replaceChildren(); refilter(); });
})();
