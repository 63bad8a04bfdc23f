// A module's settings page: the form generated from its JSON schema, saving (422s shown next to their field),
// its on/off switch, and live updates from other dashboards, the API and chat.
//
// A refused save shows every refused field at once, each at its place (the API's `errors`), in the person's
// language; leaving the page with unsaved changes asks first; a change made elsewhere says who made it and which
// settings, by their titles.
"use strict";
(() => {
  const { tr } = wolaro;
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
    if (!saving) status.textContent = dirty.length ? tr("Unsaved changes ({count})", { count: dirty.length }) : tr("All changes saved");
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
      wolaro.toast(tr("Channel and role names are unavailable right now: ids are shown instead"), "error");
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
    status.textContent = tr("Saving…");
    update(keys);
    const body = Object.fromEntries(keys.map((key) => [key, form.value(key)]));
    inflight = body;
    try {
      const result = await guild.api(`/api/guilds/${guild.id}/modules/${module}`, { method: "PATCH", body });
      saving = false;
      form.markSaved(result.config);
      wolaro.toast(tr("Settings saved"), "ok");
    } catch (error) {
      saving = false;
      const message = error.data?.message || error.message;
      if (error.status === 422) {
        const problems = error.data?.errors || [{ field: error.data?.field, message }];
        const elsewhere = [];
        problems.forEach((problem, index) => {
          if (!problem.field || !form.showError(problem.field, problem.message, { focus: index === 0 })) elsewhere.push(problem.message);
        });
        if (elsewhere.length) {
          formError.textContent = elsewhere.join(" ");
          formError.hidden = false;
        }
        wolaro.toast(tr("Not saved: {count} settings need a fix, shown in red.", { count: problems.length }), "error");
      } else if (error.status !== 403 && error.status !== 401) {
        formError.textContent = tr("Not saved: {reason}", { reason: message });
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
      wolaro.toast(tr(result.enabled ? "Module switched on" : "Module switched off"), "ok");
    } catch (error) {
      delete enabledSwitch.dataset.busy;
      setEnabled(!enabled);
      if (error.status !== 403 && error.status !== 401) wolaro.toast(tr("Could not switch the module: {reason}", { reason: error.message }), "error");
    } finally {
      enabledSwitch.disabled = false;
    }
  });

  // A setting's name for people: its title from the (translated) schema.
  function titleOf(key) {
    return data.config_schema.properties?.[key]?.title || key;
  }

  function applyRemote(config, actor) {
    if (!form) return;
    if (inflight && Object.entries(inflight).every(([key, value]) => JSON.stringify(config[key]) === JSON.stringify(value))) {
      return; // the echo of our own save (its response sets the form)
    }
    const outcome = form.merge(config);
    const keys = [...outcome.updated, ...outcome.conflicts];
    if (!keys.length) return;
    const fields = keys.map(titleOf).join(", ");
    const you = actor && actor === document.body.dataset.userId;
    wolaro.toast(tr(actor ? (you ? "You changed {fields} in another window." : "Another server manager changed {fields}.") : "{fields} changed.", { fields }));
  }

  guild.on("config:updated", (message) => {
    if (message.data?.module === module && message.data.config) applyRemote(message.data.config, message.data.actor_id);
  });

  // Leaving with unsaved changes asks first: closing the tab or reloading (the browser's own question), and the
  // dashboard's links (ours, in the page's language).
  const dirty = () => Boolean(form && form.dirtyKeys().length);
  window.addEventListener("beforeunload", (event) => {
    if (!dirty()) return;
    event.preventDefault();
    event.returnValue = "";
  });
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (!link || link.target || link.hasAttribute("download") || !dirty()) return;
    if (!window.confirm(tr("You have unsaved changes. Leave this page without saving them?"))) event.preventDefault();
    else form.discard();
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
