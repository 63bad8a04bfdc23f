// Wolaro dashboard helpers: the CSRF header on state-changing requests, logout, the live-update socket,
// small DOM helpers, toasts and one-shot flash messages (sessionStorage) shown by the next page.
"use strict";
const wolaro = (() => {
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  // tr("Saved {name}", {name}): a sentence in the page's language (the server hands the page its translations in
  // <script id="i18n">; English, the msgid, when there is none), with its {values} filled in.
  let words = null;
  function tr(message, values = {}) {
    if (words === null) {
      try { words = JSON.parse(document.getElementById("i18n")?.textContent || "{}"); } catch { words = {}; }
    }
    return (words[message] || message).replace(/\{(\w+)\}/g, (all, key) => (key in values ? String(values[key]) : all));
  }

  // api(path, {method, body}): JSON in and out; throws an Error with .status and .data (the error body).
  async function api(path, { method = "GET", body } = {}) {
    const headers = { Accept: "application/json" };
    if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrf();
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw Object.assign(new Error(tr("The dashboard cannot be reached")), { status: 0, data: null });
    }
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const detail = data && (typeof data.detail === "string" ? data.detail : data.message);
      throw Object.assign(new Error(detail || `HTTP ${response.status}`), { status: response.status, data });
    }
    return data;
  }

  // live(guildId, handlers): {"config:updated": fn, "module:toggled": fn, ..., "*": fn} for messages, plus the
  // optional "open" and "close" hooks (connection state); reconnects with backoff. 4401: log in again.
  function live(guildId, handlers) {
    let delay = 500;
    let socket;
    let stopped = false;
    const open = () => {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      socket = new WebSocket(`${scheme}://${location.host}/ws?guild_id=${encodeURIComponent(guildId)}`);
      socket.onopen = () => { delay = 500; handlers.open?.(); };
      socket.onmessage = (event) => {
        let message;
        try { message = JSON.parse(event.data); } catch { return; }
        (handlers[message.type] || handlers["*"] || (() => {}))(message);
      };
      socket.onclose = (event) => {
        handlers.close?.(event);
        if (stopped || event.code === 4403) return;
        if (event.code === 4401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); return; }
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 15000);
      };
    };
    open();
    return { close: () => { stopped = true; socket && socket.close(); } };
  }

  // h("button", {class: "btn", onclick: fn, dataset: {x: 1}}, "text", child...): a DOM element.
  function h(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else if (key === "text") node.textContent = value;
      else if (value === true) node.setAttribute(key, "");
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // toast("Saved", "ok" | "error" | ""): a short message in the polite live region.
  function toast(text, kind = "") {
    const region = document.getElementById("toasts");
    if (!region) return;
    const item = h("div", { class: `toast ${kind}` }, text);
    region.append(item);
    setTimeout(() => item.remove(), kind === "error" ? 7000 : 3500);
  }

  const FLASH_KEY = "wolaro.flash";
  function flash(text) {
    try { sessionStorage.setItem(FLASH_KEY, text); } catch { /* private mode */ }
  }
  function takeFlash() {
    try {
      const text = sessionStorage.getItem(FLASH_KEY);
      sessionStorage.removeItem(FLASH_KEY);
      return text;
    } catch { return null; }
  }

  function formatTime(value) {
    const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
    if (Number.isNaN(date.getTime())) return String(value);
    return date.toLocaleString(document.documentElement.lang || undefined, { dateStyle: "medium", timeStyle: "medium" });
  }

  document.addEventListener("click", async (event) => {
    if (event.target.closest('[data-action="logout"]')) {
      await api("/auth/logout", { method: "POST" }).catch(() => {});
      location.href = "/";
    }
  });

  // The language chooser: remembered for a year (the server reads the cookie), then the page is drawn again.
  document.addEventListener("change", (event) => {
    const chooser = event.target.closest("[data-language-chooser]");
    if (!chooser) return;
    document.cookie = `wolaro_lang=${encodeURIComponent(chooser.value)}; path=/; max-age=31536000; samesite=lax`;
    location.reload();
  });

  document.addEventListener("DOMContentLoaded", () => {
    const box = document.getElementById("flash");
    const text = box && takeFlash();
    if (text) { box.textContent = text; box.hidden = false; }
  });

  return { api, live, csrf, h, toast, flash, takeFlash, formatTime, tr };
})();
