// A module's settings page: the form generated from its JSON schema, saving (422s shown next to their field),
// its on/off switch, and live updates from other dashboards, the API and chat.
"use strict";
(() => {
  const guild = wolaro.guild;
  const data = JSON.parse(document.getElementById("module-data").textContent);
  const module = data.name;
  const fields = document.getElementById("module-fields");
  const formNode = document.getElementById("module-form");
  const bar = document.getElementById("module-bar");
  const status = document.getElementById("module-status");
  const save = document.getElementById("module-save");
  const reset = document.getElementById("module-reset");
  const formError = document.getElementById("form-error");
  const enabledSwitch = document.getElementById("module-enabled");
  const offNotice = document.getElementById("module-off-notice");
  let form = null;
  let saving = false;
  let inflight = null;

  function update(dirty = form ? form.dirtyKeys() : []) {
    bar.dataset.dirty = String(dirty.length > 0);
    save.disabled = saving || dirty.length === 0;
    reset.disabled = saving || dirty.length === 0;
    if (!saving) status.textContent = dirty.length ? `Unsaved changes (${dirty.length})` : "All changes saved";
  }

  function usesPicker(schema) {
    const text = JSON.stringify(schema);
    return /channel_ids?"|role_ids?"|"x-picker"/.test(text);
  }

  async function lookups() {
    if (!usesPicker(data.config_schema)) return {};
    const [channels, roles] = await Promise.allSettled([
      guild.api(`/api/guilds/${guild.id}/channels`),
      guild.api(`/api/guilds/${guild.id}/roles`),
    ]);
    if (channels.status === "rejected" || roles.status === "rejected") {
      wolaro.toast("Channel and role names are unavailable right now: ids are shown instead", "error");
    }
    return {
      channels: channels.status === "fulfilled" ? channels.value : [],
      roles: roles.status === "fulfilled" ? roles.value.map((r) => ({ ...r, everyone: r.id === guild.id })) : [],
    };
  }

  function setEnabled(enabled) {
    if (enabledSwitch && !enabledSwitch.dataset.busy) enabledSwitch.checked = enabled;
    offNotice.hidden = enabled;
  }

  function hideFormError() {
    formError.hidden = true;
    formError.textContent = "";
  }

  formNode.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form || saving) return;
    const keys = form.dirtyKeys();
    if (!keys.length) return;
    form.clearErrors();
    hideFormError();
    saving = true;
    status.textContent = "Saving…";
    update(keys);
    const body = Object.fromEntries(keys.map((key) => [key, form.value(key)]));
    inflight = body;
    try {
      const result = await guild.api(`/api/guilds/${guild.id}/modules/${module}`, { method: "PATCH", body });
      saving = false;
      form.markSaved(result.config);
      wolaro.toast("Settings saved", "ok");
    } catch (error) {
      saving = false;
      const field = error.data?.field || error.data?.detail?.[0]?.loc?.slice(1).join(".");
      const message = error.data?.message || error.data?.detail?.[0]?.msg || error.message;
      if (error.status === 422) {
        if (!field || !form.showError(field, message)) {
          formError.textContent = field ? `${field}: ${message}` : message;
          formError.hidden = false;
        }
        wolaro.toast("Not saved: fix the highlighted field", "error");
      } else if (error.status !== 403 && error.status !== 401) {
        formError.textContent = `Not saved: ${message}`;
        formError.hidden = false;
      }
    } finally {
      inflight = null;
      update();
    }
  });

  reset.addEventListener("click", () => { form?.discard(); hideFormError(); });

  enabledSwitch?.addEventListener("change", async () => {
    const enabled = enabledSwitch.checked;
    enabledSwitch.dataset.busy = "1";
    enabledSwitch.disabled = true;
    try {
      const result = await guild.api(`/api/guilds/${guild.id}/modules/${module}/enabled`, { method: "PUT", body: { enabled } });
      delete enabledSwitch.dataset.busy;
      setEnabled(result.enabled);
      wolaro.toast(result.enabled ? "Module switched on" : "Module switched off", "ok");
    } catch (error) {
      delete enabledSwitch.dataset.busy;
      setEnabled(!enabled);
      if (error.status !== 403 && error.status !== 401) wolaro.toast(`Could not switch the module: ${error.message}`, "error");
    } finally {
      enabledSwitch.disabled = false;
    }
  });

  function applyRemote(config) {
    if (!form) return;
    if (inflight && Object.entries(inflight).every(([key, value]) => JSON.stringify(config[key]) === JSON.stringify(value))) {
      return; // the echo of our own save (its response sets the form)
    }
    const outcome = form.merge(config);
    if (outcome.updated.length || outcome.conflicts.length) {
      wolaro.toast(`Updated elsewhere: ${[...outcome.updated, ...outcome.conflicts].join(", ")}`);
    }
  }

  guild.on("config:updated", (message) => {
    if (message.data?.module === module && message.data.config) applyRemote(message.data.config);
  });
  guild.on("module:toggled", (message) => {
    if (message.data.module === module) setEnabled(message.data.enabled);
  });
  guild.onRefresh(async () => {
    const fresh = await guild.api(`/api/guilds/${guild.id}/modules/${module}`);
    setEnabled(fresh.enabled);
    if (form) applyRemote(fresh.config);
    else data.config = fresh.config; // the form is not built yet: it starts from this
  });

  document.addEventListener("DOMContentLoaded", async () => {
    const names = await lookups().catch(() => ({}));
    form = wolaro.schemaForm(fields, data.config_schema, data.config, { ...names, onChange: update });
    fields.setAttribute("aria-busy", "false");
    formNode.dataset.ready = "true";
    update();
  });
})();
