// Wolaro dashboard helpers: the CSRF header on state-changing requests, logout, the live-update socket.
"use strict";
const wolaro = (() => {
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  async function api(path, { method = "GET", body } = {}) {
    const headers = { Accept: "application/json" };
    if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrf();
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { status: response.status, data });
    return data;
  }

  // live(guildId, handlers): {"config:updated": fn, "module:toggled": fn, ...}; reconnects with backoff.
  function live(guildId, handlers) {
    let delay = 500;
    let socket;
    const open = () => {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      socket = new WebSocket(`${scheme}://${location.host}/ws?guild_id=${encodeURIComponent(guildId)}`);
      socket.onopen = () => { delay = 500; };
      socket.onmessage = (event) => {
        const message = JSON.parse(event.data);
        (handlers[message.type] || handlers["*"] || (() => {}))(message);
      };
      socket.onclose = (event) => {
        if (event.code === 4401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); return; }
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 15000);
      };
    };
    open();
    return { close: () => socket && socket.close() };
  }

  document.addEventListener("click", async (event) => {
    if (event.target.closest('[data-action="logout"]')) {
      await api("/auth/logout", { method: "POST" }).catch(() => {});
      location.href = "/";
    }
  });

  return { api, live, csrf };
})();
