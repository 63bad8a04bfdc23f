// The audit log: filters (kept in the URL), keyset pages (Older / Newer), and live: the first page reloads when
// the guild changes, new rows highlighted.
//
// Readable entries (issue 17): labels from the modules' specs, people by name, nested settings shown as one line per
// setting that changed (its title, before -> after, never a JSON blob), and an Undo for settings changes.
"use strict";
(() => {
  const { h, tr } = wolaro;
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
    const text = typeof shown === "string" ? shown : Array.isArray(shown) ? shown.join(", ") : String(shown);
    return text.length > 140 ? `${text.slice(0, 139)}…` : text;
  }

  // Settings' titles (translated) per module, from its schema: "caps.max_ratio" -> "Capital letters › Capital letters allowed".
  const schemas = new Map();
  async function loadSchema(module) {
    if (!schemas.has(module)) {
      schemas.set(module, guild.api(`/api/guilds/${guild.id}/modules/${module}`).then((m) => m.config_schema).catch(() => null));
    }
    return schemas.get(module);
  }

  // Schema lookups: a node with its $ref resolved, a field of an object, a list's items, a dict's values.
  const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  function deref(schema, node) {
    const defs = (schema && schema.$defs) || {};
    return node && node.$ref ? { ...defs[node.$ref.split("/").pop()], ...node } : node || {};
  }
  function inner(schema, node, key) { // `key` ("properties" entry, "items", "additionalProperties"), also through anyOf
    const here = deref(schema, node);
    const found = key === "items" || key === "additionalProperties"
      ? here[key] || (here.anyOf || []).map((o) => deref(schema, o)).find((o) => isObject(o[key]))?.[key]
      : (here.properties || {})[key] || (here.anyOf || []).map((o) => deref(schema, o)).find((o) => o.properties?.[key])?.properties?.[key];
    return isObject(found) ? deref(schema, found) : null;
  }

  // [title, schema node] of the setting at `path`.
  function titleAt(schema, path) {
    if (!schema) return [path.join(" › "), {}];
    const titles = [];
    let node = schema;
    for (const part of path) {
      if (/^\d+$/.test(part)) { node = inner(schema, node, "items") || {}; titles.push(String(Number(part) + 1)); continue; }
      const field = inner(schema, node, part);
      titles.push(field?.title || part); // a dict's key (a command's name) is its own title
      node = field || inner(schema, node, "additionalProperties") || {};
    }
    return [titles.join(" › "), node];
  }

  // One [path, before, after] per setting that changed, nested objects and lists walked down to their leaves.
  function leaves(before, after, path = []) {
    const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
    if (isObject(before) && isObject(after)) {
      return [...new Set([...Object.keys(before), ...Object.keys(after)])]
        .flatMap((key) => leaves(before[key], after[key], [...path, key]));
    }
    if (Array.isArray(before) && Array.isArray(after) && before.length === after.length && before.some(isObject)) {
      return before.flatMap((item, index) => leaves(item, after[index], [...path, String(index)]));
    }
    return JSON.stringify(before) === JSON.stringify(after) ? [] : [[path, before, after]];
  }

  function scalar(v, key, node = {}) {
    if (typeof v === "number" && node["x-widget"] === "percent") return `${Math.round(v * 10000) / 100} %`;
    if (typeof v === "number" && node["x-widget"] === "duration" && node["x-unit"]) return `${v} ${tr(node["x-unit"])}`;
    if (node["x-labels"] && v !== null && v !== undefined && node["x-labels"][String(v)]) return node["x-labels"][String(v)];
    if (v === true) return tr("On");
    if (v === false) return tr("Off");
    if (Array.isArray(v) && !v.length) return tr("None");
    if (Array.isArray(v) && !v.some((item) => item !== null && typeof item === "object")) {
      const items = ID_KEY.test(key) ? enrich(v, key) : v.map((item) => scalar(item, "", node.items || {}));
      return show(items.join(", "));
    }
    if (isObject(v) && !Object.keys(v).length) return tr("None");
    return show(v, key);
  }

  // An object's fields as "Title: value · Title: value" (its empty ones left out), in the schema's words.
  function fieldsLine(v, node, schema) {
    const parts = Object.entries(v)
      .filter(([, item]) => item !== null && item !== undefined && !(Array.isArray(item) && !item.length))
      .map(([k, item]) => {
        const field = inner(schema, node, k) || {};
        const shown = isObject(item) || (Array.isArray(item) && item.some(isObject)) ? lines(item, k, field, schema).join("; ") : scalar(item, k, field);
        return `${field.title || k}: ${shown}`;
      });
    return parts.length ? parts.join(" · ") : tr("None");
  }

  // A value as lines for people: a list of objects one line per item, a dict of objects one "key: …" line per key,
  // an object its fields by title; never JSON.
  function lines(v, key, node, schema) {
    if (Array.isArray(v) && v.length && v.some(isObject)) {
      const items = inner(schema, node, "items") || {};
      return v.map((item) => (isObject(item) ? fieldsLine(item, items, schema) : scalar(item, "", items)));
    }
    if (isObject(v) && Object.keys(v).length) {
      const values = inner(schema, node, "additionalProperties");
      if (values || (!inner(schema, node, Object.keys(v)[0]) && Object.values(v).every(isObject))) {
        return Object.entries(v).map(([k, item]) => `${k}: ${isObject(item) ? fieldsLine(item, values || {}, schema) : scalar(item, k, values || {})}`);
      }
      return [fieldsLine(v, node, schema)];
    }
    return [scalar(v, key, node)];
  }

  function value(v, key, node, schema, cls) {
    const shown = lines(v, key, node, schema).slice(0, 20);
    return h("span", { class: cls }, shown.flatMap((line, index) => (index ? [h("br"), line] : [line])));
  }

  function change(entry, schema) {
    const before = entry.before && typeof entry.before === "object" ? entry.before : {};
    const after = entry.after && typeof entry.after === "object" ? entry.after : {};
    const found = leaves(before, after);
    if (!found.length) return h("span", { class: "muted" }, "—");
    return h("div", { class: "change" }, found.slice(0, 12).map(([path, from, to]) => {
      const [title, node] = titleAt(schema, path);
      const key = path[path.length - 1];
      return h("div", {},
        h("span", {}, `${title}: `),
        from !== undefined ? value(from, key, node, schema, "from") : null,
        from !== undefined ? " → " : null,
        value(to, key, node, schema, "to"));
    }));
  }

  // People by their name in the server (fetched once each).
  const people = new Map();
  function personName(id) {
    if (!people.has(id)) {
      people.set(id, guild.api(`/api/guilds/${guild.id}/members/${id}`).then((p) => p.name).catch(() => id));
    }
    return people.get(id);
  }

  function nameNode(id, { filter = false } = {}) {
    const node = filter
      ? h("a", { href: `?actor_id=${id}`, title: tr("Only this person's changes"),
          onclick: (event) => { event.preventDefault(); filters.elements.actor_id.value = id; restart(); } }, id)
      : h("span", {}, id);
    personName(id).then((name) => { node.textContent = name; });
    return node;
  }

  function who(entry) {
    if (!entry.actor_id) return h("span", { class: "muted" }, "Wolaro");
    if (entry.actor_id === userId) return h("span", { title: entry.actor_id }, tr("You"));
    return nameNode(entry.actor_id, { filter: true });
  }

  function targetNode(entry) {
    const target = entry.target;
    if (!target || target === guild.id) return null;
    const person = /^user:(\d+)$/.exec(target);
    if (person) return h("small", { class: "target" }, " ", nameNode(person[1]));
    const module = document.querySelector(`[data-module-link="${CSS.escape(target)}"] .label`);
    return h("small", { class: "muted" }, ` ${module ? module.textContent : target}`);
  }

  const UNDOABLE = new Set(["module.config", "permissions.rule", "guild.prefix", "guild.language"]);
  function undoButton(entry) {
    if (!UNDOABLE.has(entry.action) || !entry.after || !Object.keys(entry.after).length) return null;
    const button = h("button", { type: "button", class: "btn btn-small btn-ghost undo", dataset: { undo: entry.id } }, tr("Undo"));
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await guild.api(`/api/guilds/${guild.id}/audit/${entry.id}/undo`, { method: "POST" });
        wolaro.toast(tr("Change undone"), "ok");
        restart();
      } catch (error) {
        button.disabled = false;
        if (error.status !== 401 && error.status !== 403) wolaro.toast(error.message, "error");
      }
    });
    return button;
  }

  function row(entry, fresh, schema) {
    return h("tr", { class: fresh ? "fresh" : "", dataset: { id: entry.id, action: entry.action } },
      h("td", { class: "when", "data-label": tr("When") }, h("time", { datetime: entry.created_at }, wolaro.formatTime(entry.created_at))),
      h("td", { "data-label": tr("Who") }, who(entry)),
      h("td", { "data-label": tr("What") }, h("span", { class: "badge accent" }, labels.get(entry.action) || entry.action), targetNode(entry)),
      h("td", { "data-label": tr("Change") }, change(entry, schema), undoButton(entry)));
  }

  async function load({ highlight = false } = {}) {
    const request = (loading = query().toString());
    let result;
    try {
      result = await guild.api(`/api/guilds/${guild.id}/audit?${request}`);
    } catch (error) {
      if (request !== loading) return;
      const detail = error.status === 422 ? tr("Check the filters: the user id must be a number.") : error.message;
      errorBox.textContent = `${tr("Could not load the audit log.")} ${detail}`;
      errorBox.hidden = false;
      return;
    }
    if (request !== loading) return; // a newer request superseded this one
    if (!names && result.entries.some((entry) => mentionsIds(entry.before) || mentionsIds(entry.after))) {
      await loadNames();
      if (request !== loading) return;
    }
    errorBox.hidden = true;
    const modules = [...new Set(result.entries.filter((e) => UNDOABLE.has(e.action) && e.target && e.target !== guild.id).map((e) => e.target))];
    const loaded = new Map(await Promise.all(modules.map(async (m) => [m, await loadSchema(m)])));
    if (request !== loading) return;
    rows.replaceChildren(...result.entries.map((entry) => row(entry, highlight && !seen.has(entry.id), loaded.get(entry.target))));
    if (!result.entries.length) {
      rows.append(h("tr", {}, h("td", { colspan: 4, class: "empty" }, page ? tr("No older entries.") : tr("Nothing matches these filters yet."))));
    }
    seen = new Set(result.entries.map((entry) => entry.id));
    cursors.length = page + 1;
    if (result.next_before) cursors.push(result.next_before);
    newer.disabled = page === 0;
    older.disabled = !result.next_before;
    pageLabel.textContent = page === 0 ? tr("Newest entries") : tr("Page {number}", { number: page + 1 });
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
