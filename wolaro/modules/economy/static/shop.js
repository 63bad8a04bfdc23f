// The economy shop editor: one card per item (name, price, role picked by name, texts, for sale) with Save and
// Delete, and an empty card to add an item. Words come from the page (#economy-shop-words, already in the person's language).
"use strict";
(() => {
  const root = document.getElementById("economy-shop");
  if (!root) return;
  const base = root.dataset.base;
  const words = JSON.parse(document.getElementById("economy-shop-words").textContent);
  const say = (text, values = {}) => text.replace(/\{(\w+)\}/g, (all, key) => (key in values ? String(values[key]) : all));
  const list = document.getElementById("economy-shop-items");
  const error = document.getElementById("economy-shop-error");
  const h = wolaro.h;
  let roles = [];

  function reason(failure) {
    const detail = failure.data && failure.data.detail;
    if (Array.isArray(detail) && detail.length) return detail.map((d) => d.msg).join("; ");
    return failure.message;
  }

  let serial = 0;

  function roleSelect(id, current) {
    const select = h("select", { id, name: "role_id" }, h("option", { value: "" }, words.none));
    for (const role of roles) select.append(h("option", { value: role.id, selected: role.id === current }, role.name));
    if (current && !roles.some((r) => r.id === current)) {
      select.append(h("option", { value: current, selected: true }, say(words.unknown_role, { id: current })));
    }
    return select;
  }

  // One labelled field (label above, optional help below), as on the settings form.
  function field(label, control, help) {
    return h("div", { class: "field" }, h("label", { for: control.id }, label), control,
      help ? h("p", { class: "help" }, help) : null);
  }

  function input(id, name, value, attrs = {}) {
    return h("input", { id, name, value: value ?? "", type: "text", ...attrs });
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

  function itemCard(item) {
    const key = `economy-item-${(serial += 1)}`;
    const card = h("form", { class: "card economy-item", dataset: { item: item ? item.id : "new" },
      "aria-label": item ? item.name : words.new });
    card.addEventListener("submit", (event) => { event.preventDefault(); save(card, item); });
    const forSale = h("input", { type: "checkbox", role: "switch", class: "switch", id: `${key}-available`,
      name: "available", checked: item ? item.available : true });
    if (!item) card.append(h("h3", {}, words.new));
    card.append(
      h("div", { class: "grid-2" },
        field(words.name, input(`${key}-name`, "name", item?.name, { maxlength: 64, required: true })),
        field(words.price, input(`${key}-price`, "price", item?.price, { inputmode: "numeric", class: "number-input" })),
        field(words.role, roleSelect(`${key}-role`, item?.role_id || ""), words.role_help),
        field(words.description, input(`${key}-description`, "description", item?.description, { maxlength: 200 })),
        field(words.use_message, input(`${key}-use`, "use_message", item?.use_message, { maxlength: 200 }),
          words.use_help),
        h("div", { class: "field switch-field" }, h("label", { for: forSale.id }, words.available), forSale)),
      h("div", { class: "card-actions" }, h("div", { class: "buttons" },
        h("button", { type: "submit", class: "btn btn-primary" }, item ? words.save : words.add),
        item ? h("button", { type: "button", class: "btn btn-danger", onclick: () => remove(item) }, words.delete)
          : null)),
    );
    return card;
  }

  async function load() {
    try {
      const shop = await wolaro.api(`${base}/shop`);
      roles = shop.roles;
      list.replaceChildren(...shop.items.map(itemCard));
      if (!shop.items.length) list.append(h("p", { class: "muted" }, words.empty));
      list.append(itemCard(null));
      list.removeAttribute("aria-busy");
    } catch (failure) {
      show(reason(failure));
    }
  }

  load();
})();
