// The command permissions page: every command of the modules switched on in this server (from the permissions
// module's API), a switch to turn each off, and an editor (the rule's own form) for roles and channels.
"use strict";
(() => {
  const { h } = wolaro;
  const guild = wolaro.guild;
  const root = document.getElementById("command-rules");
  if (!root) return;
  const base = `/api/guilds/${guild.id}/modules/permissions`;
  const lang = document.documentElement.lang || "en";
  const T = {
    en: {
      everyone: "Everyone, everywhere", off: "Switched off", onlyRoles: "Only some roles", noRoles: "Some roles refused",
      onlyChannels: "Only some channels", noChannels: "Some channels refused", edit: "Roles and channels",
      save: "Save", cancel: "Cancel", wholeModule: "All commands of this module", saved: "Saved: {name}",
      failed: "Not saved: {why}", on: "Switched on", command: "Command", usable: "Can be used",
      lookups: "Channel and role names are unavailable right now: ids are shown instead", rules: "{count} restricted",
    },
    fr: {
      everyone: "Tout le monde, partout", off: "Désactivée", onlyRoles: "Seulement certains rôles",
      noRoles: "Certains rôles refusés", onlyChannels: "Seulement certains salons", noChannels: "Certains salons refusés",
      edit: "Rôles et salons", save: "Enregistrer", cancel: "Annuler", wholeModule: "Toutes les commandes de ce module",
      saved: "Enregistré : {name}", failed: "Non enregistré : {why}", on: "Activée", command: "Commande",
      usable: "Utilisable", lookups: "Les noms des salons et des rôles sont indisponibles : les identifiants sont affichés",
      rules: "{count} restreinte(s)",
    },
  }[lang.startsWith("fr") ? "fr" : "en"];
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => values[key] ?? "");
  let listing = null;
  let names = {};

  function summary(rule) {
    if (!rule.enabled) return T.off;
    const parts = [];
    if (rule.allowed_roles.length) parts.push(T.onlyRoles);
    if (rule.denied_roles.length) parts.push(T.noRoles);
    if (rule.allowed_channels.length) parts.push(T.onlyChannels);
    if (rule.denied_channels.length) parts.push(T.noChannels);
    return parts.join(" · ") || T.everyone;
  }

  async function save(target, rule, label) {
    try {
      listing = await guild.api(`${base}/rules?language=${encodeURIComponent(lang)}`, { method: "PUT", body: { target, rule } });
      wolaro.toast(fill(T.saved, { name: label }), "ok");
      render();
      return true;
    } catch (error) {
      wolaro.toast(fill(T.failed, { why: error.data?.message || error.message }), "error");
      return false;
    }
  }

  function editor(row, target, rule, label) {
    const existing = row.nextElementSibling;
    if (existing && existing.classList.contains("rule-editor")) { existing.remove(); return; }
    const box = h("div", { class: "form-grid" });
    const form = wolaro.schemaForm(box, listing.rule_schema, rule, names);
    const panel = h("div", { class: "rule-editor card", dataset: { target } }, box,
      h("div", { class: "actions" },
        h("button", { type: "button", class: "btn", onclick: () => panel.remove() }, T.cancel),
        h("button", { type: "button", class: "btn btn-primary", onclick: () => save(target, form.get(), label) }, T.save)));
    row.after(panel);
  }

  function ruleRow(target, label, help, rule) {
    const switchId = `rule-${target.replace(/[^a-z0-9]+/gi, "-")}`;
    const toggle = h("input", { type: "checkbox", role: "switch", class: "switch", id: switchId, checked: rule.enabled });
    toggle.addEventListener("change", async () => {
      toggle.disabled = true;
      const ok = await save(target, { ...rule, enabled: toggle.checked }, label);
      if (!ok) { toggle.checked = !toggle.checked; toggle.disabled = false; }
    });
    const row = h("div", { class: "rule-row", dataset: { target } },
      h("div", { class: "text" }, h("label", { for: switchId }, target.startsWith("module:") ? h("strong", {}, label) : h("code", {}, `/${label}`)), help ? h("p", { class: "help" }, help) : null,
        h("p", { class: "rule-summary", dataset: { summary: target } }, summary(rule))),
      h("div", { class: "rule-actions" },
        h("button", { type: "button", class: "btn btn-small", "aria-expanded": "false", onclick: (event) => {
          editor(row, target, rule, label);
          event.currentTarget.setAttribute("aria-expanded", String(row.nextElementSibling?.classList.contains("rule-editor")));
        } }, T.edit),
        toggle));
    return row;
  }

  const restricted = (rule) => summary(rule) !== T.everyone;

  // One folding section per module (long lists stay short on a phone); open when it has a rule or was open.
  function render() {
    const open = new Set([...root.querySelectorAll("details.rule-module[open]")].map((node) => node.dataset.module));
    root.replaceChildren(root.querySelector(".help") || "");
    for (const module of listing.modules) {
      const count = [module.rule, ...module.commands.map((c) => c.rule)].filter(restricted).length;
      const section = h("details", { class: "rule-module card", dataset: { module: module.name }, open: open.has(module.name) || count > 0 },
        h("summary", {}, h("span", { class: "title" }, module.title),
          h("span", { class: `badge ${count ? "accent" : ""}` }, count ? fill(T.rules, { count }) : T.everyone)),
        ruleRow(module.key, T.wholeModule, "", module.rule),
        ...module.commands.map((command) => ruleRow(command.name, command.name, command.help, command.rule)));
      root.append(section);
    }
    root.dataset.ready = "true";
    root.setAttribute("aria-busy", "false");
  }

  async function load() {
    const [data, channels, roles] = await Promise.allSettled([
      guild.api(`${base}/commands?language=${encodeURIComponent(lang)}`),
      guild.api(`/api/guilds/${guild.id}/channels`),
      guild.api(`/api/guilds/${guild.id}/roles`),
    ]);
    if (data.status === "rejected") { wolaro.toast(fill(T.failed, { why: data.reason.message }), "error"); return; }
    if (channels.status === "rejected" || roles.status === "rejected") wolaro.toast(T.lookups, "error");
    names = {
      channels: channels.status === "fulfilled" ? channels.value : [],
      roles: roles.status === "fulfilled" ? roles.value.map((r) => ({ ...r, everyone: r.id === guild.id })) : [],
    };
    listing = data.value;
    render();
  }

  guild.on("config:updated", async (message) => {
    if (message.data?.module !== "permissions" || root.querySelector(".rule-editor")) return;
    listing = await guild.api(`${base}/commands?language=${encodeURIComponent(lang)}`).catch(() => listing);
    if (listing) render();
  });
  document.addEventListener("DOMContentLoaded", load);
})();
