// The statistics page: reads the module's API and draws the charts with the vendored uPlot (no build step).
// Every word it shows comes translated from the page (`#stats-words`); days and numbers are written the way the
// page's language writes them (Intl), so a French page says « 5 déc. » and « 12 345 », even over the date boxes
// (which the browser writes its own way).
"use strict";
(function () {
  const root = document.getElementById("stats-root");
  if (!root) return;
  const api = root.dataset.api;
  const words = JSON.parse(document.getElementById("stats-words").textContent);
  const say = (text, values = {}) => text.replace(/\{(\w+)\}/g, (all, key) => (key in values ? String(values[key]) : all));
  const lang = document.documentElement.lang || undefined;
  const number = new Intl.NumberFormat(lang);
  const shortDay = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", timeZone: "UTC" });
  const longDay = new Intl.DateTimeFormat(lang, { weekday: "short", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
  const chosenDay = new Intl.DateTimeFormat(lang, { weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  const form = document.getElementById("stats-filters");
  const status = document.getElementById("stats-status");
  const charts = {};
  const DAY = 86400;

  function iso(d) { return d.toISOString().slice(0, 10); }
  function epoch(day) { return Date.parse(day + "T00:00:00Z") / 1000; }
  function voice(seconds) {
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    const two = n => String(n).padStart(2, "0");
    if (h) return say(words.hours_minutes, { hours: number.format(h), minutes: two(m) });
    if (m) return say(words.minutes_seconds, { minutes: m, seconds: two(s) });
    return say(words.seconds, { seconds: s });
  }
  function showChosen() {
    // a date box is written in the browser's format, not the page's: the day chosen is written above it the page's way
    for (const box of [form.start, form.end]) {
      document.getElementById(box.id + "-day").textContent = box.value ? chosenDay.format(epoch(box.value) * 1000) : "";
    }
  }
  function filled(days, start, end, pick, missing = 0) {
    // one point per day of the range, `missing` (zero, or null for a gap) where nothing was counted
    const byDay = new Map(days.map(d => [d.day, d]));
    const xs = [], ys = pick.map(() => []);
    for (let t = epoch(start); t <= epoch(end); t += DAY) {
      const day = new Date(t * 1000).toISOString().slice(0, 10);
      const row = byDay.get(day);
      xs.push(t);
      pick.forEach((f, i) => ys[i].push(row ? f(row) : missing));
    }
    return [xs, ...ys];
  }
  function draw(id, data, series) {
    const el = document.getElementById(id);
    // days on the x axis (whole days only, in UTC like the API's days), written in the page's language
    const opts = {
      width: Math.max(320, el.clientWidth), height: 240,
      tzDate: ts => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      series: [
        { label: words.day, value: (u, ts) => (ts == null ? "–" : longDay.format(ts * 1000)) },
        ...series.map(s => Object.assign({
          width: 2, points: { size: 5 }, value: (u, v) => (v == null ? "–" : number.format(v)),
        }, s)),
      ],
      axes: [
        { stroke: "#8a8f98", incrs: [1, 2, 7, 14, 28, 91, 182, 364].map(n => n * DAY),
          values: (u, splits) => splits.map(ts => shortDay.format(ts * 1000)) },
        { stroke: "#8a8f98", values: (u, splits) => splits.map(v => number.format(v)) },
      ],
    };
    if (charts[id]) charts[id].destroy();
    el.textContent = "";
    charts[id] = new uPlot(opts, data, el);
  }
  function rows(id, items, cells) {
    const body = document.querySelector("#" + id + " tbody");
    body.textContent = "";
    if (!items.length) {
      const tr = body.insertRow(); const td = tr.insertCell(); td.colSpan = 3; td.textContent = words.empty;
      return;
    }
    for (const item of items) {
      const tr = body.insertRow();
      for (const value of cells(item)) tr.insertCell().textContent = value;
    }
  }
  async function get(path, params) {
    const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v)).toString();
    const response = await fetch(api + path + (query ? "?" + query : ""), { credentials: "same-origin" });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      const detail = Array.isArray(body.detail) && body.detail.length ? body.detail[0].msg : body.detail;
      throw new Error(typeof detail === "string" ? detail : words.failed);
    }
    return response.json();
  }
  async function load() {
    const start = form.start.value, end = form.end.value, channel = form.channel.value;
    status.textContent = words.loading;
    try {
      const range = { start, end };
      const [overview, growth, byMessages, byVoice] = await Promise.all([
        get("/overview", range), get("/growth", range),
        get("/leaderboard", { ...range, metric: "messages", channel_id: channel }),
        get("/leaderboard", { ...range, metric: "voice", channel_id: channel }),
      ]);
      let days = overview.days;
      if (channel) days = (await get("/channels/" + channel, range)).days;
      const totals = [
        [words.messages, number.format(overview.messages)], [words.voice_time, voice(overview.voice_seconds)],
        [words.active_members, number.format(overview.active_members)], [words.joins, number.format(overview.joins)],
        [words.leaves, number.format(overview.leaves)],
      ];
      document.getElementById("stats-totals").textContent =
        totals.map(([label, value]) => say(words.total, { label, value })).join(" · ");
      draw("chart-messages", filled(days, start, end, [d => d.messages, d => d.active_members || 0]),
        [{ label: words.messages, stroke: "#5865f2" }, { label: words.active_members, stroke: "#3ba55d" }]);
      draw("chart-voice", filled(days, start, end, [d => +(d.voice_seconds / 3600).toFixed(2)]),
        [{ label: words.voice_hours, stroke: "#faa61a" }]);
      draw("chart-growth", filled(growth, start, end, [d => d.joins, d => d.leaves]),
        [{ label: words.joins, stroke: "#3ba55d" }, { label: words.leaves, stroke: "#ed4245" }]);
      if (document.getElementById("chart-online")) {  // shown when the server counts members online
        draw("chart-online", filled(overview.online || [], start, end, [d => d.peak, d => d.average], null),
          [{ label: words.most_online, stroke: "#5865f2" }, { label: words.average_online, stroke: "#3ba55d" }]);
      }
      rows("board-messages", byMessages, r => [r.rank, r.name || r.user_id, number.format(r.value)]);
      rows("board-voice", byVoice, r => [r.rank, r.name || r.user_id, voice(r.value)]);
      rows("board-channels", overview.top_channels, r => ["#" + (r.name || r.channel_id), number.format(r.messages)]);
      status.textContent = "";
    } catch (error) {
      status.textContent = error.message;
    }
  }
  async function channels() {
    // the channel filter lists the server's channels by name
    try {
      for (const c of await get("/channel-list", {})) form.channel.add(new Option("#" + c.name, c.channel_id));
    } catch (error) { /* the filter keeps "All channels" */ }
  }
  const today = new Date();
  form.end.value = iso(today);
  form.start.value = iso(new Date(today.getTime() - 29 * DAY * 1000));
  showChosen();
  form.addEventListener("input", showChosen);
  form.addEventListener("submit", event => { event.preventDefault(); load(); });
  window.addEventListener("load", () => { channels(); load(); });
})();
