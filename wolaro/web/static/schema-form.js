// A settings form generated from a module's JSON schema (its pydantic Config model):
// booleans -> switches, numbers with ranges -> number inputs, enums/Literals -> selects, lists -> editable lists,
// nested models -> fieldsets, *_channel_id(s) / *_role_id(s) (or "x-picker": "channel" | "role") -> pickers
// filled with the guild's real channel and role names.
//
//   const form = wolaro.schemaForm(container, schema, config, {channels, roles, onChange});
//   form.get() / form.set(config) / form.dirtyKeys() / form.markSaved(config) / form.showError(field, message)
//
// The model says how a field is shown (wolaro/core/config_ui.py): "x-widget": "duration" (a value and a unit; on a
// text field "1h30m" is written, on a number the count of "x-unit"), "x-widget": "percent" (0.7 shown as 70 %),
// "x-labels" (words for a closed choice's values), "x-show-if" {field, values} (shown only while a sibling field
// holds one of the values), "x-hidden" (edited elsewhere). Titles and help arrive translated from the server; the
// form's own words go through wolaro.tr. A field's error clears as soon as it is edited.
"use strict";
(() => {
  const { h, tr } = wolaro;
  const TEXT_CHANNEL_TYPES = new Set([0, 5, 15]); // text, announcement, forum
  const CATEGORY = 4;
  let sequence = 0;

  const clone = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

  function humanize(name) {
    const words = String(name).replace(/_ids?$/, (m) => (m === "_ids" ? "s" : "")).split("_").filter(Boolean);
    const text = words.map((w) => ({ dm: "DM", id: "ID", url: "URL", ms: "(ms)" })[w] || w).join(" ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function autoTitle(name) {
    return String(name).split("_").map((w) => (w ? w[0].toUpperCase() + w.slice(1) : w)).join(" ");
  }

  function label(name, schema) {
    return schema.title && schema.title !== autoTitle(name) ? schema.title : humanize(name);
  }

  function pickerFor(name, schema) {
    if (schema["x-picker"]) return schema["x-picker"];
    if (/(^|_)channel_ids?$/.test(name)) return "channel";
    if (/(^|_)role_ids?$/.test(name)) return "role";
    return null;
  }

  function makeResolver(root) {
    const defs = root.$defs || root.definitions || {};
    return function resolve(schema) {
      if (!schema) return {};
      if (schema.$ref) {
        const { $ref, ...outer } = schema;
        const target = resolve(defs[$ref.split("/").pop()] || {});
        return {
          ...target, ...outer, title: outer.title, classTitle: target.title,
          description: outer.description || target.description,
        };
      }
      if (schema.allOf && schema.allOf.length === 1) {
        const { allOf, ...outer } = schema;
        const target = resolve(allOf[0]);
        return { ...target, ...outer, title: outer.title, description: outer.description || target.description };
      }
      if (schema.anyOf) {
        const options = schema.anyOf.filter((s) => s.type !== "null");
        if (options.length === 1) {
          const { anyOf, ...outer } = schema;
          const inner = resolve(options[0]);
          return { ...inner, ...outer, title: outer.title, nullable: options.length < anyOf.length };
        }
      }
      return schema;
    };
  }

  function kindOf(name, schema, resolve) {
    const widget = schema["x-widget"];
    if (widget === "duration" && ["string", "integer", "number"].includes(schema.type)) return "duration";
    if (widget === "percent" && ["integer", "number"].includes(schema.type)) return "percent";
    const picker = pickerFor(name, schema);
    if (schema.type === "array") {
      const items = resolve(schema.items || {});
      if (picker && (items.type === "integer" || items.type === "string")) return "multi-picker";
      if (items.type === "object" && items.properties) return "object-list";
      if (["string", "integer", "number"].includes(items.type)) return "scalar-list";
      return "json";
    }
    if (picker && (schema.type === "integer" || schema.type === "string")) return "picker";
    if (schema.type === "object" && schema.properties) return "object";
    if (Array.isArray(schema.enum)) return "enum";
    if (schema.type === "boolean") return "boolean";
    if (schema.type === "integer" || schema.type === "number") {
      return /colou?r$/.test(name) && schema.maximum === 0xffffff ? "colour" : "number";
    }
    if (schema.type === "string") return "string";
    return "json";
  }

  function defaultFor(schema, resolve) {
    const s = resolve(schema);
    if (s.default !== undefined) return clone(s.default);
    if (s.nullable) return null;
    if (s.type === "object" && s.properties) {
      const out = {};
      for (const [key, sub] of Object.entries(s.properties)) out[key] = defaultFor(sub, resolve);
      return out;
    }
    if (s.type === "array") return [];
    if (Array.isArray(s.enum)) return s.enum[0];
    if (s.type === "boolean") return false;
    if (s.type === "integer" || s.type === "number") return s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 0);
    return "";
  }

  // "1 to 2000", "At least 0", "At most 1" (in the page's language).
  function rangeText(schema) {
    const min = schema.minimum ?? schema.exclusiveMinimum;
    const max = schema.maximum ?? schema.exclusiveMaximum;
    if (min !== undefined && max !== undefined) return tr("{min} to {max}", { min, max });
    if (min !== undefined) return tr("At least {min}", { min });
    if (max !== undefined) return tr("At most {max}", { max });
    return "";
  }

  // Durations: units from the smallest the field allows; text durations use Discord-style suffixes ("90m", "2d").
  const UNITS = [["seconds", 1, "s"], ["minutes", 60, "m"], ["hours", 3600, "h"], ["days", 86400, "d"], ["weeks", 604800, "w"]];
  const SUFFIX = Object.fromEntries(UNITS.map(([, size, suffix]) => [suffix, size]));

  function parseDurationText(text) {
    const compact = String(text || "").toLowerCase().replace(/\s+/g, "");
    const parts = compact.match(/(\d+(?:\.\d+)?)([smhdw])/g);
    if (!parts || parts.join("") !== compact) return null;
    return parts.reduce((total, part) => total + parseFloat(part) * SUFFIX[part.slice(-1)], 0);
  }

  // The largest unit (of `units`) that shows `seconds` as a whole number.
  function bestUnit(seconds, units) {
    if (!seconds) return units[0];
    for (let index = units.length - 1; index >= 0; index -= 1) {
      if (seconds % units[index][1] === 0) return units[index];
    }
    return units[0];
  }

  // Help text with `code` spans (descriptions come from docstrings).
  function helpNodes(text) {
    return String(text).split(/`([^`]+)`/).map((part, index) => (index % 2 ? h("code", {}, part) : part));
  }

  function idFor(path) {
    sequence += 1;
    return `f-${path.replace(/[^a-zA-Z0-9_-]+/g, "-")}-${sequence}`;
  }

  // A labelled field: label, help, the control, its error and note lines (described-by wired).
  function field(path, text, help, control, { inline = false, group = false } = {}) {
    const id = control.inputId;
    const helpId = `${id}-help`;
    const errorId = `${id}-error`;
    const noteId = `${id}-note`;
    const labelNode = group ? h("span", { class: "label", id: `${id}-label` }, text) : h("label", { for: id }, text);
    const helpNode = help ? h("p", { class: "help", id: helpId }, helpNodes(help)) : null;
    const described = [help ? helpId : null, errorId].filter(Boolean).join(" ");
    for (const node of control.describe || []) node.setAttribute("aria-describedby", described);
    if (group) control.el.setAttribute("aria-labelledby", `${id}-label`);
    const wrapper = h("div", { class: inline ? "field switch-field" : "field", dataset: { path } });
    if (inline) wrapper.append(h("div", { class: "text" }, labelNode, helpNode), control.el);
    else wrapper.append(...[labelNode, helpNode, control.el].filter(Boolean));
    wrapper.append(h("p", { class: "field-error", id: errorId, hidden: true }), h("p", { class: "field-note", id: noteId, hidden: true }));
    return wrapper;
  }

  function build(container, rootSchema, initial, options = {}) {
    const resolve = makeResolver(rootSchema);
    const lookups = { channel: options.channels || null, role: options.roles || null };
    const onChange = options.onChange || (() => {});
    const root = resolve(rootSchema);
    const controls = {}; // top-level key -> control
    const conditions = []; // {el, siblings, field, values}: shown only while siblings[field] holds one of values
    const wrappers = {}; // top-level key -> element
    let baseline = {};
    const objectCount = Object.values(root.properties || {}).filter((s) => resolve(s).type === "object").length;

    // ------------------------------------------------------------------ controls: {el, get, set, inputId, describe}
    function control(name, schema, path) {
      const kind = kindOf(name, schema, resolve);
      const make = {
        boolean: booleanControl, number: numberControl, colour: colourControl, string: stringControl,
        enum: enumControl, picker: pickerControl, "multi-picker": multiPickerControl, "scalar-list": scalarListControl,
        "object-list": objectListControl, object: objectControl, json: jsonControl,
        duration: durationControl, percent: percentControl,
      }[kind];
      const made = make(name, schema, path);
      made.kind = kind;
      return made;
    }

    function wrap(name, schema, path) {
      const made = control(name, schema, path);
      const text = label(name, schema);
      let help = schema.description || "";
      if (made.kind === "percent") {
        const range = rangeText({ minimum: (schema.minimum ?? schema.exclusiveMinimum ?? 0) * 100, maximum: (schema.maximum ?? 1) * 100 });
        help = help ? `${help} (${range} %)` : `${range} %`;
      }
      if (made.kind === "number") {
        const range = rangeText(schema);
        if (range) help = help ? `${help} (${range})` : range.charAt(0).toUpperCase() + range.slice(1);
      }
      if (made.kind === "object") return { made, el: made.el };
      if (schema.maxItems !== undefined && ["multi-picker", "scalar-list", "object-list"].includes(made.kind)) {
        const limit = tr("Up to {count}.", { count: schema.maxItems });
        help = help ? `${help} ${limit}` : limit;
      }
      const group = ["multi-picker", "scalar-list", "object-list"].includes(made.kind);
      return { made, el: field(path, text, help, made, { inline: made.kind === "boolean", group }) };
    }

    function booleanControl(name, schema, path) {
      const inputId = idFor(path);
      const input = h("input", { type: "checkbox", role: "switch", class: "switch", id: inputId, "data-primary": true });
      return { el: input, inputId, describe: [input], get: () => input.checked, set: (v) => { input.checked = Boolean(v); } };
    }

    function numberControl(name, schema, path) {
      const inputId = idFor(path);
      const input = h("input", {
        type: "number", id: inputId, class: "number-input", inputmode: schema.type === "integer" ? "numeric" : "decimal",
        min: schema.minimum ?? schema.exclusiveMinimum, max: schema.maximum ?? schema.exclusiveMaximum,
        step: schema.type === "integer" ? 1 : "any", placeholder: schema.nullable ? tr("Not set") : undefined, "data-primary": true,
      });
      return {
        el: input, inputId, describe: [input],
        get: () => {
          const raw = input.value.trim();
          if (raw === "") return schema.nullable ? null : "";
          const number = Number(raw);
          return Number.isFinite(number) ? number : raw;
        },
        set: (v) => { input.value = v === null || v === undefined ? "" : String(v); },
      };
    }

    function colourControl(name, schema, path) {
      const inputId = idFor(path);
      const input = h("input", { type: "color", id: inputId, "data-primary": true });
      const code = h("code", { class: "muted" });
      const toHex = (n) => `#${Number(n || 0).toString(16).padStart(6, "0")}`;
      input.addEventListener("input", () => { code.textContent = input.value; });
      return {
        el: h("div", { class: "inline-inputs" }, input, code), inputId, describe: [input],
        get: () => parseInt(input.value.slice(1), 16),
        set: (v) => { input.value = toHex(v); code.textContent = input.value; },
      };
    }

    function stringControl(name, schema, path) {
      const inputId = idFor(path);
      const input = h("input", {
        type: "text", id: inputId, autocomplete: "off", spellcheck: "false", maxlength: schema.maxLength,
        placeholder: schema.nullable ? tr("Not set") : undefined, "data-primary": true,
      });
      return {
        el: input, inputId, describe: [input],
        get: () => (schema.nullable && input.value === "" ? null : input.value),
        set: (v) => { input.value = v ?? ""; },
      };
    }

    function enumOptions(select, schema) {
      const labels = schema["x-labels"] || {};
      if (schema.nullable) select.append(h("option", { value: "" }, tr("— None —")));
      for (const value of schema.enum) {
        select.append(h("option", { value: String(value) }, labels[String(value)] || humanize(String(value))));
      }
    }

    // A length: a number and a unit. Text fields get "90m"-style text; number fields the count of their x-unit.
    function durationControl(name, schema, path) {
      const inputId = idFor(path);
      const base = UNITS.findIndex(([unit]) => unit === (schema["x-unit"] || "seconds"));
      const units = UNITS.slice(Math.max(base, 0));
      const own = units[0][1];
      const number = h("input", {
        type: "number", id: inputId, class: "number-input", min: 0, step: "any", inputmode: "decimal", "data-primary": true,
        placeholder: schema.nullable ? tr("Not set") : undefined,
      });
      const unit = h("select", { "aria-label": tr("Unit"), class: "unit-select" },
        units.map(([key]) => h("option", { value: key }, tr(key))));
      const size = () => units.find(([key]) => key === unit.value)[1];
      let raw = null; // a stored text the widget cannot show (kept as is until edited)
      const get = () => {
        const text = number.value.trim();
        if (text === "") return raw !== null ? raw : (schema.nullable ? null : (schema.type === "string" ? "" : 0));
        const value = Number(text);
        if (!Number.isFinite(value)) return text;
        const seconds = value * size();
        if (schema.type === "string") return `${value}${units.find(([key]) => key === unit.value)[2]}`;
        const count = seconds / own;
        return schema.type === "integer" ? Math.round(count) : count;
      };
      const set = (v) => {
        raw = null;
        const seconds = v === null || v === undefined || v === "" ? null
          : schema.type === "string" ? parseDurationText(v) : Number(v) * own;
        if (seconds === null) {
          if (v !== null && v !== undefined && v !== "") raw = String(v);
          number.value = "";
          unit.value = units[Math.min(1, units.length - 1)][0];
          return;
        }
        const [key, unitSize] = bestUnit(seconds, units);
        unit.value = key;
        number.value = String(seconds / unitSize);
      };
      for (const node of [number, unit]) node.addEventListener("input", () => { raw = null; });
      return { el: h("div", { class: "inline-inputs duration" }, number, unit), inputId, describe: [number, unit], get, set };
    }

    // A fraction from 0 to 1, typed as a percentage.
    function percentControl(name, schema, path) {
      const inputId = idFor(path);
      const input = h("input", {
        type: "number", id: inputId, class: "number-input", min: 0, max: 100, step: 1, inputmode: "decimal", "data-primary": true,
      });
      return {
        el: h("div", { class: "inline-inputs" }, input, h("span", { "aria-hidden": "true" }, "%")), inputId, describe: [input],
        get: () => {
          const text = input.value.trim();
          if (text === "") return schema.nullable ? null : "";
          const value = Number(text);
          return Number.isFinite(value) ? Math.round(value * 100) / 10000 : text;
        },
        set: (v) => { input.value = v === null || v === undefined ? "" : String(Math.round(Number(v) * 10000) / 100); },
      };
    }

    function enumControl(name, schema, path) {
      const inputId = idFor(path);
      const select = h("select", { id: inputId, "data-primary": true });
      enumOptions(select, schema);
      const byText = new Map(schema.enum.map((v) => [String(v), v]));
      return {
        el: select, inputId, describe: [select],
        get: () => (select.value === "" && schema.nullable ? null : byText.get(select.value) ?? select.value),
        set: (v) => { select.value = v === null || v === undefined ? "" : String(v); },
      };
    }

    // Picker entries: [{id, label, group}] for "channel" or "role".
    function entries(kind) {
      const list = lookups[kind];
      if (!list) return null;
      if (kind === "role") {
        return list.filter((r) => !r.everyone).map((r) => ({ id: r.id, label: `@${r.name}`, group: null }));
      }
      const categories = new Map(list.filter((c) => c.type === CATEGORY).map((c) => [c.id, c.name]));
      return list
        .filter((c) => TEXT_CHANNEL_TYPES.has(c.type))
        .map((c) => ({ id: c.id, label: `#${c.name}`, group: categories.get(c.parent_id) || null }));
    }

    function unknownLabel(kind, id) {
      return tr(kind === "role" ? "Unknown role ({id})" : "Unknown channel ({id})", { id });
    }

    function labelOf(kind, id) {
      const found = (entries(kind) || []).find((e) => e.id === String(id));
      return found ? found.label : unknownLabel(kind, id);
    }

    function fillOptions(select, kind, exclude = new Set()) {
      const list = entries(kind) || [];
      const groups = new Map();
      for (const entry of list) {
        if (exclude.has(entry.id)) continue;
        const option = h("option", { value: entry.id }, entry.label);
        if (entry.group) {
          if (!groups.has(entry.group)) {
            const optgroup = h("optgroup", { label: entry.group });
            groups.set(entry.group, optgroup);
            select.append(optgroup);
          }
          groups.get(entry.group).append(option);
        } else {
          select.append(option);
        }
      }
    }

    function pickerControl(name, schema, path) {
      const kind = pickerFor(name, schema);
      const inputId = idFor(path);
      const select = h("select", { id: inputId, "data-primary": true, dataset: { picker: kind } });
      const render = (value) => {
        select.replaceChildren(h("option", { value: "" }, schema.nullable ? tr("— None —") : tr("Choose…")));
        fillOptions(select, kind);
        if (value !== null && value !== undefined && value !== "" && !select.querySelector(`option[value="${CSS.escape(String(value))}"]`)) {
          select.append(h("option", { value: String(value) }, unknownLabel(kind, value)));
        }
        select.value = value === null || value === undefined ? "" : String(value);
      };
      render(null);
      return { el: select, inputId, describe: [select], get: () => (select.value === "" ? null : select.value), set: render };
    }

    function multiPickerControl(name, schema, path) {
      const kind = pickerFor(name, schema);
      const inputId = idFor(path);
      let values = [];
      const chips = h("div", { class: "chips", role: "list" });
      const add = h("select", { class: "picker-add", id: inputId, "aria-label": tr(kind === "role" ? "Add a role…" : "Add a channel…"), "data-primary": true, dataset: { picker: kind } });
      const box = h("div", { class: "list-editor" }, chips, add);
      const render = () => {
        chips.replaceChildren(...values.map((id, index) => {
          const text = labelOf(kind, id);
          return h("span", { class: "chip", role: "listitem", dataset: { id: String(id) } },
            h("span", { class: "chip-label" }, text),
            h("button", {
              type: "button", "aria-label": tr("Remove {item}", { item: text }),
              onclick: () => { values.splice(index, 1); render(); changed(); add.focus(); },
            }, "×"));
        }));
        if (!values.length) chips.append(h("span", { class: "muted" }, tr("None")));
        add.replaceChildren(h("option", { value: "" }, tr(kind === "role" ? "Add a role…" : "Add a channel…")));
        fillOptions(add, kind, new Set(values.map(String)));
        add.value = "";
        add.disabled = schema.maxItems !== undefined && values.length >= schema.maxItems;
      };
      add.addEventListener("change", () => {
        if (!add.value) return;
        values.push(add.value);
        render();
        changed();
      });
      render();
      return {
        el: box, inputId, describe: [add],
        get: () => values.slice(),
        set: (v) => { values = (v || []).map(String); render(); },
      };
    }

    function scalarListControl(name, schema, path) {
      const items = resolve(schema.items || {});
      const inputId = idFor(path);
      const list = h("div", { class: "list-editor" });
      const rows = h("div", { class: "list-editor" });
      let itemControls = [];
      const addButton = h("button", { type: "button", class: "btn btn-small", id: inputId, "aria-label": `${tr("Add")}: ${label(name, schema)}` }, tr("Add"));
      list.append(rows, h("div", {}, addButton));
      const render = (values) => {
        itemControls = values.map((value, index) => {
          const made = control(`${name}_item`, items, `${path}.${index}`);
          made.set(value);
          const input = made.el.matches("input, select") ? made.el : made.el.querySelector("input, select");
          input?.setAttribute("aria-label", `${label(name, schema)} ${index + 1}`);
          const row = h("div", { class: "item field", dataset: { path: `${path}.${index}` } }, made.el,
            h("button", {
              type: "button", class: "btn btn-small btn-ghost btn-danger", "aria-label": tr("Remove {item}", { item: `${label(name, schema)} ${index + 1}` }),
              onclick: () => { const current = get(); current.splice(index, 1); render(current); changed(); },
            }, tr("Remove")));
          made.row = row;
          return made;
        });
        rows.replaceChildren(...itemControls.map((c) => c.row));
        if (!itemControls.length) rows.append(h("p", { class: "muted help" }, tr("Empty")));
        addButton.disabled = schema.maxItems !== undefined && itemControls.length >= schema.maxItems;
      };
      const get = () => itemControls.map((c) => c.get()).filter((v) => v !== "" && v !== null);
      addButton.addEventListener("click", () => {
        const current = itemControls.map((c) => c.get());
        current.push(defaultFor(items, resolve) ?? "");
        if (items.type === "string" && !items.enum) current[current.length - 1] = "";
        render(current);
        changed();
        const last = itemControls[itemControls.length - 1];
        (last.el.matches("input, select") ? last.el : last.el.querySelector("input, select"))?.focus();
      });
      render([]);
      return { el: list, inputId, describe: [addButton], get, set: (v) => render(v || []) };
    }

    function objectListControl(name, schema, path) {
      const items = resolve(schema.items || {});
      const inputId = idFor(path);
      const rows = h("div", { class: "list-editor" });
      const addButton = h("button", { type: "button", class: "btn btn-small", id: inputId, "aria-label": `${tr("Add")}: ${label(name, schema)}` }, tr("Add"));
      const box = h("div", { class: "list-editor" }, rows, h("div", {}, addButton));
      let itemControls = [];
      const render = (values) => {
        itemControls = values.map((value, index) => {
          const made = objectFields(items, `${path}.${index}`);
          made.set(value);
          const title = `${label(name, schema)} · ${index + 1}`;
          made.row = h("div", { class: "object-item", role: "group", "aria-label": title, dataset: { path: `${path}.${index}` } },
            h("div", { class: "item-head" }, h("strong", {}, title),
              h("button", {
                type: "button", class: "btn btn-small btn-ghost btn-danger", "aria-label": tr("Remove {item}", { item: title }),
                onclick: () => { const current = get(); current.splice(index, 1); render(current); changed(); },
              }, tr("Remove"))),
            made.el);
          return made;
        });
        rows.replaceChildren(...itemControls.map((c) => c.row));
        if (!itemControls.length) rows.append(h("p", { class: "muted help" }, tr("None yet")));
        addButton.disabled = schema.maxItems !== undefined && itemControls.length >= schema.maxItems;
      };
      const get = () => itemControls.map((c) => c.get());
      addButton.addEventListener("click", () => {
        const current = get();
        current.push(defaultFor(items, resolve));
        render(current);
        changed();
        itemControls[itemControls.length - 1].row.querySelector("input, select")?.focus();
      });
      render([]);
      return { el: box, inputId, describe: [addButton], get, set: (v) => render(v || []) };
    }

    // The fields of an object schema, in a grid: {el, get, set}.
    function objectFields(schema, path) {
      const grid = h("div", { class: "form-grid" });
      const parts = {};
      for (const [key, sub] of Object.entries(schema.properties || {})) {
        const resolved = resolve(sub);
        if (resolved["x-hidden"]) continue;
        const { made, el } = wrap(key, resolved, path ? `${path}.${key}` : key);
        parts[key] = made;
        grid.append(el);
        watch(resolved, el, parts);
      }
      return {
        el: grid, parts,
        get: () => Object.fromEntries(Object.entries(parts).map(([key, c]) => [key, c.get()])),
        set: (value) => {
          const current = value || {};
          for (const [key, c] of Object.entries(parts)) {
            c.set(key in current ? current[key] : defaultFor(schema.properties[key], resolve));
          }
        },
      };
    }

    function objectControl(name, schema, path) {
      const inner = objectFields(schema, path);
      const inputId = idFor(path);
      const title = label(name, schema);
      const state = inner.parts.enabled && inner.parts.enabled.kind === "boolean" ? h("span", { class: "badge summary-state" }) : null;
      const fieldset = h("fieldset", { class: "group", id: inputId },
        h("legend", { class: "visually-hidden" }, title),
        schema.description ? h("p", { class: "help" }, helpNodes(schema.description)) : null,
        inner.el);
      const collapsible = objectCount > 3;
      const el = collapsible
        ? h("details", { class: "group", dataset: { path } }, h("summary", {}, h("span", {}, title), state), h("div", { class: "body" }, fieldset))
        : h("div", { class: "field", dataset: { path } }, h("h3", {}, title), fieldset);
      fieldset.classList.toggle("group", !collapsible);
      const showState = () => {
        if (!state) return;
        const on = inner.parts.enabled.get();
        state.textContent = on ? tr("On") : tr("Off");
        state.className = `badge summary-state ${on ? "ok" : ""}`;
      };
      el.addEventListener("change", showState);
      return {
        el, inputId, describe: [], parts: inner.parts,
        get: inner.get,
        set: (value) => { inner.set(value); showState(); },
      };
    }

    function jsonControl(name, schema, path) {
      const inputId = idFor(path);
      const area = h("textarea", { id: inputId, spellcheck: "false", "data-primary": true });
      return {
        el: area, inputId, describe: [area],
        get: () => { try { return JSON.parse(area.value); } catch { return area.value; } },
        set: (v) => { area.value = JSON.stringify(v ?? null, null, 2); },
      };
    }

    // ------------------------------------------------------------------ the form
    // Fields shown only while a sibling holds one of some values ("x-show-if"), e.g. a timeout's length.
    function watch(schema, el, siblings) {
      const rule = schema["x-show-if"];
      if (rule && rule.field) conditions.push({ el, siblings, field: rule.field, values: rule.values || [true] });
    }

    function updateVisibility() {
      for (const { el, siblings, field, values } of conditions) {
        const control = siblings[field];
        if (!control) continue;
        const value = control.get();
        el.hidden = !values.some((wanted) => same(wanted, value) || String(wanted) === String(value));
      }
    }

    function changed() {
      updateVisibility();
      for (const [key, wrapper] of Object.entries(wrappers)) {
        wrapper.classList.toggle("is-dirty", !same(controls[key].get(), baseline[key]));
      }
      onChange(dirtyKeys());
    }

    function dirtyKeys() {
      return Object.keys(controls).filter((key) => !same(controls[key].get(), baseline[key]));
    }

    container.replaceChildren();
    for (const [key, sub] of Object.entries(root.properties || {})) {
      const resolved = resolve(sub);
      if (resolved["x-hidden"]) continue;
      const { made, el } = wrap(key, resolved, key);
      controls[key] = made;
      wrappers[key] = el;
      container.append(el);
      watch(resolved, el, controls);
    }
    container.addEventListener("input", changed);
    container.addEventListener("change", changed);
    // A field being corrected loses its error at once (the others keep theirs until they are corrected too).
    const clearOwnError = (event) => {
      const wrapper = event.target.closest?.(".field, .object-item");
      if (!wrapper || !container.contains(wrapper)) return;
      const error = wrapper.querySelector(":scope > .field-error");
      if (error && !error.hidden) { error.hidden = true; error.textContent = ""; }
      for (const node of wrapper.querySelectorAll(':scope > [aria-invalid="true"], :scope > * [aria-invalid="true"]')) {
        if (node.closest(".field, .object-item") === wrapper) node.removeAttribute("aria-invalid");
      }
    };
    container.addEventListener("input", clearOwnError);
    container.addEventListener("change", clearOwnError);

    function setKey(key, value) {
      controls[key].set(clone(value));
      baseline[key] = controls[key].get(); // normalised (ids as strings, defaults filled)
    }

    function set(config) {
      baseline = {};
      for (const key of Object.keys(controls)) setKey(key, config[key]);
      changed();
    }

    // Apply a config that changed elsewhere: untouched fields follow it; edited ones keep the user's value and say so.
    function merge(config) {
      const outcome = { updated: [], conflicts: [] };
      for (const key of Object.keys(controls)) {
        if (!(key in config)) continue;
        const typed = controls[key].get();
        const before = baseline[key];
        const dirty = !same(typed, before);
        setKey(key, config[key]);
        if (!dirty) {
          if (!same(before, baseline[key])) outcome.updated.push(key);
          continue;
        }
        if (!same(before, baseline[key])) {
          outcome.conflicts.push(key);
          note(key, tr("Changed elsewhere while you were editing: saving keeps your value."));
        }
        controls[key].set(clone(typed)); // keep what the user typed
      }
      changed();
      return outcome;
    }

    function fieldFor(path) {
      const parts = String(path || "").split(".");
      while (parts.length) {
        const node = container.querySelector(`[data-path="${CSS.escape(parts.join("."))}"]`);
        if (node) return node;
        parts.pop();
      }
      return null;
    }

    function clearErrors() {
      for (const node of container.querySelectorAll(".field-error")) { node.hidden = true; node.textContent = ""; }
      for (const node of container.querySelectorAll('[aria-invalid="true"]')) node.removeAttribute("aria-invalid");
    }

    function note(key, text) {
      const wrapper = wrappers[key];
      const node = wrapper && wrapper.querySelector(":scope > .field-note, :scope .field-note");
      if (node) { node.textContent = text; node.hidden = false; }
    }

    function clearNotes() {
      for (const node of container.querySelectorAll(".field-note")) { node.hidden = true; node.textContent = ""; }
    }

    // Show a 422 next to its field ("rules.caps.max_ratio", "escalation.0.duration"); false if no field matched.
    function showError(path, message, { focus = true } = {}) {
      const node = fieldFor(path);
      if (!node) return false;
      for (let open = node.closest("details"); open; open = open.parentElement.closest("details")) open.open = true;
      const error = node.matches(".field") ? node.querySelector(":scope > .field-error") : node.querySelector(".field-error");
      if (error) { error.textContent = message; error.hidden = false; }
      const input = node.querySelector("[data-primary]") || node.querySelector("input, select, textarea, button");
      if (input) {
        input.setAttribute("aria-invalid", "true");
        if (focus) {
          input.focus({ preventScroll: true });
          input.scrollIntoView({ block: "center", behavior: "instant" });
        }
      }
      return true;
    }

    set(initial || {});
    return {
      get: () => Object.fromEntries(Object.keys(controls).map((key) => [key, controls[key].get()])),
      value: (key) => controls[key].get(),
      set, merge, dirtyKeys, showError, clearErrors, clearNotes,
      discard: () => { for (const key of Object.keys(controls)) controls[key].set(clone(baseline[key])); clearErrors(); clearNotes(); changed(); },
      markSaved: (config) => { clearNotes(); set(config); },
    };
  }

  wolaro.schemaForm = build;
})();
