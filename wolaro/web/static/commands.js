// The command log: each `command:executed` of this guild becomes a row (newest first, 200 kept), with where it
// ran and how it was called, in the page's language.
"use strict";
(() => {
  const { h, tr } = wolaro;
  const guild = wolaro.guild;
  const rows = document.getElementById("commands-rows");
  const empty = document.getElementById("commands-empty");
  const filter = document.getElementById("commands-filter");
  const KEEP = 200;
  const RESULTS = {
    success: ["Succeeded", "ok"], denied: ["Refused", "warn"], invalid: ["Invalid input", "warn"], error: ["Error", "danger"],
  };

  function visible(row) {
    const wanted = filter.value;
    if (!wanted) return true;
    return wanted === "success" ? row.dataset.status === "success" : row.dataset.status !== "success";
  }

  function refilter() {
    for (const row of rows.children) row.hidden = !visible(row);
    empty.hidden = [...rows.children].some((row) => !row.hidden);
  }

  function row(data, ts) {
    const [text, kind] = RESULTS[data.status] || [data.status || "?", ""];
    const call = [data.command || "?", data.arguments || ""].join(" ").trim();
    return h("tr", { class: "fresh", dataset: { status: data.status || "", command: data.command || "" } },
      h("td", { class: "when", "data-label": tr("When") }, wolaro.formatTime(ts)),
      h("td", { "data-label": tr("Who") }, data.user || data.user_id || "?"),
      h("td", { "data-label": tr("Command") }, h("code", {}, call)),
      h("td", { "data-label": tr("Where") }, data.channel ? `#${data.channel}` : "—"),
      h("td", { "data-label": tr("Result") }, h("span", { class: `badge ${kind}` }, tr(text))));
  }

  function add(data, ts, { atEnd = false } = {}) {
    const node = row(data, ts);
    node.hidden = !visible(node);
    if (atEnd) rows.append(node); else rows.prepend(node);
    while (rows.children.length > KEEP) rows.lastElementChild.remove();
  }

  guild.on("command:executed", (message) => { add(message.data || {}, message.ts); refilter(); });
  filter.addEventListener("change", refilter);
  // The recent history (kept per server by the command log module), older than what arrives live from now on.
  guild.api(`/api/guilds/${guild.id}/modules/commandlog/recent?limit=${KEEP}`)
    .then((history) => { for (const item of history) add(item, item.ts, { atEnd: true }); })
    .catch(() => {})
    .finally(() => { document.getElementById("commands-table").dataset.loaded = "true"; refilter(); });
  refilter();
})();
