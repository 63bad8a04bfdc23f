// Role menu builder: real roles (names, colours) from the dashboard API, a live preview of the menu as members will
// see it, and Save and post (PUT .../menus: saved at once, posted or updated by the job worker within seconds).
"use strict";
(() => {
  const root = document.querySelector(".rolemenu-builder");
  if (!root) return;
  const { api, h } = wolaro;
  const guild = root.dataset.guild;
  const base = `/api/guilds/${guild}/modules/rolemenus`;
  const $ = (id) => document.getElementById(id);
  const optionsList = $("rm-options");
  const preview = $("rm-preview");
  const status = $("rm-status");
  let roles = [];
  let menus = [];
  let current = 0;

  const hex = (color) => (color ? `#${color.toString(16).padStart(6, "0")}` : "#99aab5");
  const roleById = (id) => roles.find((r) => r.id === id);
  const usable = (role) => !role.managed && role.id !== guild;

  function roleSelect(selected, allowNone) {
    const select = h("select", { class: "rm-role" });
    if (allowNone) select.append(h("option", { value: "", text: "None" }));
    for (const role of roles) {
      if (role.id === guild) continue;
      const option = h("option", { value: role.id, text: role.managed ? `${role.name} (managed by an app)` : role.name });
      option.disabled = role.managed;
      option.style.color = hex(role.color);
      if (role.id === selected) option.selected = true;
      select.append(option);
    }
    return select;
  }

  function addRow(option = {}) {
    const first = roles.find(usable);
    const select = roleSelect(option.role_id || (first && first.id), false);
    const label = h("input", { type: "text", maxlength: "80", placeholder: "Label", value: option.label || "" });
    const emoji = h("input", { type: "text", maxlength: "64", placeholder: "Emoji", value: option.emoji || "", class: "rm-emoji" });
    const dot = h("span", { class: "rm-dot", "aria-hidden": "true" });
    const remove = h("button", { type: "button", class: "btn", text: "Remove", onclick: () => { row.remove(); render(); } });
    const row = h("li", { class: "rm-option" }, dot, select, emoji, label, remove);
    const paint = () => { dot.style.background = hex((roleById(select.value) || {}).color); };
    select.addEventListener("change", () => { paint(); render(); });
    paint();
    optionsList.append(row);
  }

  function collect() {
    const options = [...optionsList.children].map((row) => ({
      role_id: row.querySelector("select").value,
      emoji: row.querySelector(".rm-emoji").value.trim() || null,
      label: row.querySelector("input:not(.rm-emoji)").value.trim(),
    }));
    return {
      id: current,
      channel_id: $("rm-channel").value,
      kind: $("rm-kind").value,
      mode: $("rm-mode").value,
      title: $("rm-title").value.trim() || "Pick your roles",
      description: $("rm-description").value,
      options,
      max_roles: Number($("rm-max").value || 0),
      required_role_id: $("rm-required").value || null,
      blacklist_role_id: $("rm-blacklist").value || null,
    };
  }

  const HINTS = {
    normal: "Click a role to get it, click again to drop it.",
    unique: "You can have one of these roles at a time.",
    verify: "Click to get a role (it stays).",
    drop: "Click to drop a role.",
  };

  function render() {
    const menu = collect();
    const card = h("div", { class: "rm-embed" }, h("div", { class: "rm-embed-title", text: menu.title }));
    if (menu.description) card.append(h("div", { text: menu.description }));
    for (const option of menu.options) {
      const role = roleById(option.role_id) || { name: "?", color: 0 };
      const mention = h("span", { class: "rm-mention", text: `@${role.name}` });
      mention.style.color = hex(role.color);
      card.append(h("div", {}, option.emoji ? `${option.emoji} ` : "", mention, option.label ? ` ${option.label}` : ""));
    }
    card.append(h("em", { text: HINTS[menu.mode] }));
    const controls = h("div", { class: "rm-controls" });
    if (menu.kind === "select") {
      controls.append(h("div", { class: "rm-fake-select", text: "Choose your roles ▾" }));
    } else {
      for (const option of menu.options) {
        const role = roleById(option.role_id) || { name: "?" };
        controls.append(h("span", { class: "rm-fake-button", text: `${option.emoji ? option.emoji + " " : ""}${option.label || role.name}` }));
      }
    }
    preview.replaceChildren(card, controls);
  }

  function load(menu) {
    current = menu ? menu.id : 0;
    $("rm-title").value = menu ? menu.title : "Pick your roles";
    $("rm-description").value = menu ? menu.description : "";
    if (menu) $("rm-channel").value = menu.channel_id;
    $("rm-kind").value = menu ? menu.kind : "buttons";
    $("rm-mode").value = menu ? menu.mode : "normal";
    $("rm-max").value = menu ? menu.max_roles : 0;
    $("rm-required").replaceWith(Object.assign(roleSelect(menu && menu.required_role_id, true), { id: "rm-required" }));
    $("rm-blacklist").replaceWith(Object.assign(roleSelect(menu && menu.blacklist_role_id, true), { id: "rm-blacklist" }));
    optionsList.replaceChildren();
    for (const option of menu ? menu.options : []) addRow(option);
    if (!menu) { addRow(); }
    render();
  }

  async function refreshMenus(selected) {
    menus = await api(`${base}/menus`);
    const pick = $("rm-pick");
    pick.replaceChildren(h("option", { value: "0", text: "New menu" }),
      ...menus.map((m) => h("option", { value: String(m.id), text: `#${m.id} ${m.title}${m.message_id ? "" : " (not posted yet)"}` })));
    pick.value = String(selected || 0);
  }

  async function start() {
    const [roleList, channels] = await Promise.all([api(`/api/guilds/${guild}/roles`), api(`/api/guilds/${guild}/channels`)]);
    roles = roleList;
    $("rm-channel").replaceChildren(...channels.filter((c) => c.type === 0).map((c) => h("option", { value: c.id, text: `#${c.name}` })));
    await refreshMenus(0);
    load(null);
    root.addEventListener("input", render);
    root.addEventListener("change", (event) => { if (event.target.id !== "rm-pick") render(); });
    $("rm-pick").addEventListener("change", (event) => load(menus.find((m) => String(m.id) === event.target.value)));
    $("rm-add").addEventListener("click", () => { addRow(); render(); });
    $("rm-save").addEventListener("click", async () => {
      status.textContent = "Saving…";
      try {
        const saved = await api(`${base}/menus`, { method: "PUT", body: collect() });
        current = saved.id;
        await refreshMenus(saved.id);
        status.textContent = `Menu #${saved.id} saved: it is being posted in its channel.`;
        // the job worker posts it within seconds: show it as posted once it is
        setTimeout(() => refreshMenus(current).catch(() => {}), 3000);
      } catch (error) {
        status.textContent = error.message;
      }
    });
  }
  start().catch((error) => { status.textContent = error.message; });
})();
