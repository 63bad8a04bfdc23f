// The audit log: filters (kept in the URL), keyset pages (Older / Newer), and live: the first page reloads when
// the guild changes, new rows highlighted.
"use strict";
(() => {
  const { h } = wolaro;
  const guild = wolaro.guild;
  const userId = document.body.dataset.userId;
  const filters = document.getElementById("audit-filters");
  const rows = document.getElementById("audit-rows");
  const errorBox = document.getElementById("audit-error");
  const newer = document.getElementById("audit-newer");
  const older = document.getElementById("audit-older");
  const pageLabel = document.getElementById("audit-page");
  const limit = Number(filters.dataset.limit) || 25;
  const labels = new Map([...document.querySelectorAll('#filter-action option:not([value=""])')].map((o) => [o.value, o.textContent]));
  const cursors = [null]; // cursors[i]: the `before` of page i (null: the newest)
  let page = 0;
  let seen = new Set();
  let loading = null;

  const fields = ["action", "actor_id", "since", "until"];

  function readUrl() {
    const params = new URLSearchParams(location.search);
    for (const name of fields) filters.elements[name].value = params.get(name) || "";
  }

  function writeUrl() {
    const params = new URLSearchParams(location.search);
    for (const name of fields) {
      const value = filters.elements[name].value.trim();
      if (value) params.set(name, value); else params.delete(name);
    }
    const query = params.toString();
    history.replaceState(null, "", query ? `${location.pathname}?${query}` : location.pathname);
  }

  function dayStart(value, plusDays = 0) {
    const date = new Date(`${value}T00:00:00`);
    date.setDate(date.getDate() + plusDays);
    return date.toISOString();
  }

  function query() {
    const params = new URLSearchParams({ limit: String(limit) });
    const action = filters.elements.action.value.trim();
    const actor = filters.elements.actor_id.value.trim();
    const since = filters.elements.since.value;
    const until = filters.elements.until.value;
    if (action) params.set("action", action);
    if (actor) params.set("actor_id", actor);
    if (since) params.set("since", dayStart(since));
    if (until) params.set("until", dayStart(until, 1)); // the whole "until" day
    if (cursors[page]) params.set("before", cursors[page]);
    return params;
  }

  // Channel and role ids in changes are shown by name (seed 002 "Data Enrichment"), fetched once per page.
  const ID_KEY = /(^|_)(channel|role)(_id|_ids|s)$/;
  let names = null;
  let namesLoading = null;

  function loadNames() {
    namesLoading ||= Promise.allSettled([
      guild.api(`/api/guilds/${guild.id}/channels`), guild.api(`/api/guilds/${guild.id}/roles`),
    ]).then(([channels, roles]) => {
      names = new Map();
      for (const c of channels.status === "fulfilled" ? channels.value : []) names.set(`channel:${c.id}`, `#${c.name}`);
      for (const r of roles.status === "fulfilled" ? roles.value : []) names.set(`role:${r.id}`, `@${r.name}`);
    });
    return namesLoading;
  }

  function mentionsIds(value, key = "") {
    if (ID_KEY.test(key) && value !== null && value !== undefined) return true;
    return value !== null && typeof value === "object" && Object.entries(value).some(([k, v]) => mentionsIds(v, k));
  }

  function enrich(value, key = "") {
    if (value === null || value === undefined) return value;
    const match = ID_KEY.exec(key);
    if (match && names) {
      const name = (id) => names.get(`${match[2]}:${id}`) || id;
      return Array.isArray(value) ? value.map(name) : name(value);
    }
    if (Array.isArray(value)) return value.map((item) => enrich(item));
    if (typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, enrich(v, k)]));
    return value;
  }

  function show(value, key) {
    if (value === null || value === undefined) return "—";
    const shown = enrich(value, key);
    const text = typeof shown === "string" ? shown : JSON.stringify(shown);
    return text.length > 140 ? `${text.slice(0, 139)}…` : text;
  }

  function change(entry) {
    const before = entry.before && typeof entry.before === "object" ? entry.before : {};
    const after = entry.after && typeof entry.after === "object" ? entry.after : {};
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    if (!keys.length) return h("span", { class: "muted" }, "—");
    return h("div", { class: "change" }, keys.map((key) => h("div", {},
      h("span", {}, `${key}: `),
      key in before ? h("span", { class: "from" }, show(before[key], key)) : null,
      key in before ? " → " : null,
      h("span", { class: "to" }, show(after[key], key)))));
  }

  function who(entry) {
    if (!entry.actor_id) return h("span", { class: "muted" }, "Wolaro");
    if (entry.actor_id === userId) return h("span", { title: entry.actor_id }, "You");
    return h("a", {
      href: `?actor_id=${entry.actor_id}`, class: "mono", title: "Only this user's changes",
      onclick: (event) => { event.preventDefault(); filters.elements.actor_id.value = entry.actor_id; restart(); },
    }, entry.actor_id);
  }

  function row(entry, fresh) {
    const target = entry.target && entry.target !== guild.id ? h("small", { class: "muted" }, ` ${entry.target}`) : null;
    return h("tr", { class: fresh ? "fresh" : "", dataset: { id: entry.id, action: entry.action } },
      h("td", { class: "when", "data-label": "When" }, h("time", { datetime: entry.created_at }, wolaro.formatTime(entry.created_at))),
      h("td", { "data-label": "Who" }, who(entry)),
      h("td", { "data-label": "Action" }, h("span", { class: "badge accent" }, labels.get(entry.action) || entry.action), target),
      h("td", { "data-label": "Change" }, change(entry)));
  }

  async function load({ highlight = false } = {}) {
    const request = (loading = query().toString());
    let result;
    try {
      result = await guild.api(`/api/guilds/${guild.id}/audit?${request}`);
    } catch (error) {
      if (request !== loading) return;
      const detail = error.status === 422 ? "Check the filters: the user id must be a number." : error.message;
      errorBox.textContent = `Could not load the audit log. ${detail}`;
      errorBox.hidden = false;
      return;
    }
    if (request !== loading) return; // a newer request superseded this one
    if (!names && result.entries.some((entry) => mentionsIds(entry.before) || mentionsIds(entry.after))) {
      await loadNames();
      if (request !== loading) return;
    }
    errorBox.hidden = true;
    rows.replaceChildren(...result.entries.map((entry) => row(entry, highlight && !seen.has(entry.id))));
    if (!result.entries.length) {
      rows.append(h("tr", {}, h("td", { colspan: 4, class: "empty" }, page ? "No older entries." : "Nothing matches these filters yet.")));
    }
    seen = new Set(result.entries.map((entry) => entry.id));
    cursors.length = page + 1;
    if (result.next_before) cursors.push(result.next_before);
    newer.disabled = page === 0;
    older.disabled = !result.next_before;
    pageLabel.textContent = page === 0 ? "Newest entries" : `Page ${page + 1}`;
    document.getElementById("audit-table").dataset.loaded = String(Date.now());
  }

  function restart() {
    page = 0;
    cursors.length = 1;
    writeUrl();
    load();
  }

  filters.addEventListener("submit", (event) => { event.preventDefault(); restart(); });
  filters.addEventListener("reset", () => setTimeout(restart, 0));
  older.addEventListener("click", () => { if (cursors[page + 1]) { page += 1; load(); } });
  newer.addEventListener("click", () => { if (page > 0) { page -= 1; load(); } });

  const live = () => { if (page === 0) load({ highlight: true }); };
  for (const type of ["config:updated", "module:toggled", "guild:reload"]) guild.on(type, live);

  readUrl();
  load();
})();
