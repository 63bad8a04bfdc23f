// The economy shop editor: one row per item (name, price, role, texts, for sale) with Save and Delete, and an empty
// row to add an item. Words come from the page (#economy-shop-words, already in the person's language).
"use strict";
(() => {
  const root = document.getElementById("economy-shop");
  if (!root) return;
  const base = root.dataset.base;
  const words = JSON.parse(document.getElementById("economy-shop-words").textContent);
  const say = (text, values = {}) => text.replace(/\{(\w+)\}/g, (all, key) => (key in values ? String(values[key]) : all));
  const rows = document.getElementById("economy-shop-rows");
  const error = document.getElementById("economy-shop-error");
  const h = wolaro.h;
  let roles = [];

  function reason(failure) {
    const detail = failure.data && failure.data.detail;
    if (Array.isArray(detail) && detail.length) return detail.map((d) => d.msg).join("; ");
    return failure.message;
  }

  function roleSelect(current) {
    const select = h("select", { "aria-label": words.role, name: "role_id" }, h("option", { value: "" }, words.none));
    for (const role of roles) select.append(h("option", { value: role.id, selected: role.id === current }, role.name));
    if (current && !roles.some((r) => r.id === current)) {
      select.append(h("option", { value: current, selected: true }, say(words.unknown_role, { id: current })));
    }
    return select;
  }

  function field(name, value, label, attrs = {}) {
    return h("input", { name, value: value ?? "", "aria-label": label, ...attrs });
  }

  function read(row) {
    const value = (name) => row.querySelector(`[name="${name}"]`);
    const name = value("name").value.trim();
    const price = value("price").value.trim();
    if (!name) throw new Error(words.need_name);
    if (!/^\d+$/.test(price)) throw new Error(words.need_price);
    return {
      name, price: Number(price), role_id: value("role_id").value || null,
      description: value("description").value.trim(), use_message: value("use_message").value.trim(),
      available: value("available").checked,
    };
  }

  function show(message) { error.textContent = message; error.hidden = !message; }

  async function save(row, item) {
    show("");
    try {
      const body = read(row);
      const saved = item
        ? await wolaro.api(`${base}/shop/${item.id}`, { method: "PUT", body })
        : await wolaro.api(`${base}/shop`, { method: "POST", body });
      wolaro.toast(say(words.saved, { item: saved.name }), "ok");
      await load();
    } catch (failure) {
      show(say(words.failed, { reason: reason(failure) }));
    }
  }

  async function remove(item) {
    if (!confirm(say(words.confirm, { item: item.name }))) return;
    try {
      await wolaro.api(`${base}/shop/${item.id}`, { method: "DELETE" });
      wolaro.toast(say(words.deleted, { item: item.name }), "ok");
      await load();
    } catch (failure) {
      show(say(words.failed, { reason: reason(failure) }));
    }
  }

  function itemRow(item) {
    const row = h("tr", { dataset: { item: item ? item.id : "new" } });
    const cell = (label, node) => h("td", { "data-label": label }, node);
    row.append(
      cell(words.name, field("name", item?.name, words.name, { maxlength: 64, required: true,
        placeholder: item ? undefined : words.new })),
      cell(words.price, field("price", item?.price ?? "", words.price, { inputmode: "numeric", size: 8 })),
      cell(words.role, roleSelect(item?.role_id || "")),
      cell(words.description, field("description", item?.description, words.description, { maxlength: 200 })),
      cell(words.use_message, field("use_message", item?.use_message, words.use_message, { maxlength: 200 })),
      cell(words.available, h("input", { type: "checkbox", name: "available", checked: item ? item.available : true,
        "aria-label": words.available })),
      h("td", { class: "actions" },
        h("button", { type: "button", class: "btn btn-small btn-primary", onclick: () => save(row, item) },
          item ? words.save : words.add),
        item ? h("button", { type: "button", class: "btn btn-small btn-danger", onclick: () => remove(item) },
          words.delete) : null),
    );
    return row;
  }

  async function load() {
    try {
      const shop = await wolaro.api(`${base}/shop`);
      roles = shop.roles;
      rows.replaceChildren(...shop.items.map(itemRow));
      if (!shop.items.length) rows.append(h("tr", {}, h("td", { colspan: 7, class: "empty" }, words.empty)));
      rows.append(itemRow(null));
    } catch (failure) {
      show(reason(failure));
    }
  }

  load();
})();
