// The frame of every guild page: the live socket (status pill, reconnects), the sidebar (prefix, modules on/off),
// the revocation dialog, and a small event bus the page scripts subscribe to:
//
//   wolaro.guild.on("config:updated", (message) => ...)   any WebSocket message type
//   wolaro.guild.onRefresh((overview) => ...)             after (re)joining or a guild:reload: re-read the state
//   wolaro.guild.api(path, options)                       wolaro.api that reacts to 401 (log in) and 403 (revoked)
"use strict";
wolaro.guild = (() => {
  const body = document.body;
  const id = body.dataset.guildId;
  const name = body.dataset.guildName;
  const listeners = {};
  const refreshers = [];
  let socket = null;
  let revoked = false;

  const on = (type, fn) => { (listeners[type] ||= []).push(fn); };
  const onRefresh = (fn) => { refreshers.push(fn); };

  function emit(type, message) {
    for (const fn of listeners[type] || []) {
      try { fn(message); } catch (error) { console.error(error); }
    }
  }

  function setStatus(state, text) {
    const pill = document.getElementById("live-status");
    body.dataset.live = state === "live" ? "on" : state;
    if (!pill) return;
    pill.dataset.state = state;
    pill.title = text;
    pill.querySelector(".text").textContent = text;
  }

  // Access to this guild is gone: say why, then go back to the server list (which repeats the reason).
  function revoke(reason) {
    if (revoked) return;
    revoked = true;
    socket?.close();
    setStatus("offline", "Access removed");
    const why = reason || "you can no longer manage this server";
    wolaro.flash(`Your access to ${name} was removed: ${why}.`);
    document.getElementById("revoked-reason").textContent = why;
    const overlay = document.getElementById("revoked");
    overlay.hidden = false;
    body.dataset.revoked = "true";
    document.getElementById("revoked-leave").focus();
    setTimeout(() => location.assign("/"), 2500);
  }

  async function api(path, options) {
    try {
      return await wolaro.api(path, options);
    } catch (error) {
      if (error.status === 401) location.href = "/login?next=" + encodeURIComponent(location.pathname);
      else if (error.status === 403 && error.data?.detail === "You cannot manage this server") revoke();
      throw error;
    }
  }

  function setPrefix(prefix) {
    for (const node of document.querySelectorAll('[data-bind="prefix"]')) node.textContent = prefix;
  }

  function setModule(module, enabled) {
    const dot = document.querySelector(`[data-module-dot="${CSS.escape(module)}"]`);
    if (dot) dot.dataset.on = String(Boolean(enabled));
    const state = document.querySelector(`[data-module-state="${CSS.escape(module)}"]`);
    if (state) state.textContent = enabled ? ", on" : ", off";
  }

  function setBlacklisted(blacklisted) {
    const notice = document.getElementById("blacklist-notice");
    if (notice) notice.hidden = !blacklisted;
  }

  async function refresh() {
    let overview;
    try {
      overview = await api(`/api/guilds/${id}`);
    } catch (error) {
      if (error.status !== 403 && error.status !== 401) wolaro.toast(`Could not reload the server's state: ${error.message}`, "error");
      return;
    }
    setPrefix(overview.settings.prefix);
    setBlacklisted(overview.settings.blacklisted);
    for (const module of overview.modules) setModule(module.name, module.enabled);
    for (const fn of refreshers) {
      try { await fn(overview); } catch (error) { console.error(error); }
    }
  }

  on("config:updated", (message) => {
    const settings = message.data?.settings;
    if (settings && "prefix" in settings) setPrefix(settings.prefix);
  });
  on("module:toggled", (message) => setModule(message.data.module, message.data.enabled));
  on("guild:reload", (message) => {
    if ("blacklisted" in (message.data || {})) setBlacklisted(message.data.blacklisted);
    refresh();
  });
  on("permission:revoked", (message) => {
    if (message.guild_id === id) revoke(message.data?.reason);
  });

  document.addEventListener("DOMContentLoaded", () => {
    socket = wolaro.live(id, {
      open: () => setStatus("connecting", "Joining…"),
      close: () => { if (!revoked) setStatus("offline", "Reconnecting…"); },
      joined: (message) => {
        if (message.guild_id !== id) return;
        setStatus("live", "Live");
        refresh(); // whatever changed while the page loaded or the socket was away
      },
      error: (message) => {
        if (message.guild_id === id && message.code === "forbidden") revoke();
        else if (message.code === "unavailable") setStatus("offline", "Discord unavailable, retrying…");
      },
      "*": (message) => {
        if (message.guild_id === id) emit(message.type, message);
      },
    });
  });

  return { id, name, on, onRefresh, api, refresh, revoke, emit };
})();
