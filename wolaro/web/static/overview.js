// The guild overview: prefix and language (saved together), module switches, bot status; all kept live.
"use strict";
(() => {
  const { tr } = wolaro;
  const guild = wolaro.guild;
  const form = document.getElementById("settings-form");
  const inputs = { prefix: document.getElementById("f-prefix"), language: document.getElementById("f-language") };
  const bar = document.getElementById("settings-bar");
  const status = document.getElementById("settings-status");
  const save = document.getElementById("settings-save");
  const reset = document.getElementById("settings-reset");
  let saved = { prefix: inputs.prefix.value, language: inputs.language.value };
  let saving = false;
  let inflight = {}; // what the save in progress sends: its echo over the socket is not "changed elsewhere"

  const dirtyKeys = () => Object.keys(inputs).filter((key) => inputs[key].value !== saved[key]);

  function fieldNode(key, part) {
    return document.getElementById(`f-${key}-${part}`);
  }

  function clearErrors() {
    for (const key of Object.keys(inputs)) {
      inputs[key].removeAttribute("aria-invalid");
      const error = fieldNode(key, "error");
      error.hidden = true;
      error.textContent = "";
    }
  }

  function note(key, text) {
    const node = fieldNode(key, "note");
    node.textContent = text || "";
    node.hidden = !text;
  }

  function update() {
    const dirty = dirtyKeys();
    bar.dataset.dirty = String(dirty.length > 0);
    save.disabled = saving || dirty.length === 0;
    reset.disabled = saving || dirty.length === 0;
    if (!saving) status.textContent = dirty.length ? tr("Unsaved changes ({count})", { count: dirty.length }) : tr("All changes saved");
    for (const key of Object.keys(inputs)) inputs[key].closest(".field").classList.toggle("is-dirty", dirty.includes(key));
  }

  // Values that changed elsewhere: untouched fields follow; a field being edited keeps its value and says so.
  function apply(settings, { announce = true } = {}) {
    const changed = [];
    for (const [key, value] of Object.entries(settings)) {
      if (!(key in inputs) || value === saved[key]) continue;
      if (saving && inflight[key] === value) { saved[key] = value; continue; }
      const editing = inputs[key].value !== saved[key];
      saved[key] = value;
      if (editing && inputs[key].value !== value) {
        note(key, tr("Changed elsewhere while you were editing: saving keeps your value."));
      } else {
        inputs[key].value = value;
        note(key, "");
      }
      changed.push(key);
    }
    update();
    if (announce && changed.length) {
      const fields = changed.map((key) => document.querySelector(`label[for="f-${key}"]`)?.textContent || key).join(", ");
      wolaro.toast(tr("{fields} changed.", { fields }));
    }
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  reset.addEventListener("click", () => {
    for (const key of Object.keys(inputs)) { inputs[key].value = saved[key]; note(key, ""); }
    clearErrors();
    update();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const keys = dirtyKeys();
    if (!keys.length || saving) return;
    clearErrors();
    saving = true;
    status.textContent = tr("Saving…");
    update();
    const body = Object.fromEntries(keys.map((key) => [key, inputs[key].value]));
    inflight = body;
    try {
      const result = await guild.api(`/api/guilds/${guild.id}/settings`, { method: "PATCH", body });
      saving = false;
      saved = { prefix: result.prefix, language: result.language };
      for (const key of Object.keys(inputs)) { inputs[key].value = saved[key]; note(key, ""); }
      wolaro.toast(tr("Settings saved"), "ok");
    } catch (error) {
      saving = false;
      const field = error.data?.field || error.data?.detail?.[0]?.loc?.slice(1).join(".");
      const message = error.data?.message || error.data?.detail?.[0]?.msg || error.message;
      if (error.status === 422 && field in inputs) {
        const node = fieldNode(field, "error");
        node.textContent = message;
        node.hidden = false;
        inputs[field].setAttribute("aria-invalid", "true");
        inputs[field].focus();
        wolaro.toast(tr("Not saved: {count} settings need a fix, shown in red.", { count: 1 }), "error");
      } else if (error.status !== 403 && error.status !== 401) {
        wolaro.toast(tr("Not saved: {reason}", { reason: message }), "error");
      }
    }
    update();
  });

  // module switches
  function setToggle(module, enabled) {
    const toggle = document.querySelector(`[data-toggle-module="${CSS.escape(module)}"]`);
    if (toggle && !toggle.dataset.busy) toggle.checked = enabled;
    countModules();
  }

  function countModules() {
    const rows = document.querySelectorAll(".module-row");
    const on = [...rows].filter((row) => {
      const toggle = row.querySelector("[data-toggle-module]");
      return toggle ? toggle.checked : true;
    }).length;
    const node = document.getElementById("modules-on");
    node.textContent = tr(node.dataset.of || "{on} of {total}", { on, total: rows.length });
  }

  document.addEventListener("change", async (event) => {
    const toggle = event.target.closest("[data-toggle-module]");
    if (!toggle) return;
    const module = toggle.dataset.toggleModule;
    const enabled = toggle.checked;
    toggle.dataset.busy = "1";
    toggle.disabled = true;
    try {
      const result = await guild.api(`/api/guilds/${guild.id}/modules/${module}/enabled`, { method: "PUT", body: { enabled } });
      toggle.checked = result.enabled;
      const title = toggle.dataset.title || module;
      wolaro.toast(tr(result.enabled ? "{module} switched on" : "{module} switched off", { module: title }), "ok");
    } catch (error) {
      toggle.checked = !enabled;
      if (error.status !== 403 && error.status !== 401) wolaro.toast(tr("Could not switch the module: {reason}", { reason: error.message }), "error");
    } finally {
      delete toggle.dataset.busy;
      toggle.disabled = false;
      countModules();
    }
  });

  const resync = document.getElementById("resync");
  resync.addEventListener("click", async () => {
    resync.disabled = true;
    try {
      await guild.api(`/api/guilds/${guild.id}/sync`, { method: "POST" });
      wolaro.toast(tr("Settings reloaded"), "ok");
    } catch (error) {
      if (error.status !== 403 && error.status !== 401) wolaro.toast(tr("Not saved: {reason}", { reason: error.message }), "error");
    } finally {
      resync.disabled = false;
    }
  });

  guild.on("config:updated", (message) => {
    if (message.data?.settings) apply(message.data.settings);
  });
  guild.on("module:toggled", (message) => setToggle(message.data.module, message.data.enabled));
  guild.onRefresh((overview) => {
    apply({ prefix: overview.settings.prefix, language: overview.settings.language }, { announce: false });
    for (const module of overview.modules) setToggle(module.name, module.enabled);
  });
  update();
})();
