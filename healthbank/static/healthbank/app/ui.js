/*
 * Building the screen. Every text goes in as text (never HTML), so nothing from the server can become markup;
 * the Content-Security-Policy forbids inline script and style anyway.
 */
import { _ } from "./core.js";

/** h("button", {class: "primary", onclick: fn}, "text", child, …) */
export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

/** A link inside the app (hash routes). */
export function link(path, ...children) {
  return h("a", { href: "#" + path }, ...children);
}

/** A notice: kind "error" (role=alert), "info" or "ok" (role=status). */
export function notice(kind, ...children) {
  return h("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, ...children);
}

/** A labelled field with its hint and a place for its error (aria-describedby links all three). */
export function field({ name, label, type = "text", hint = "", value = "", attrs = {} }) {
  const id = "f-" + name;
  const describedBy = [hint ? id + "-hint" : "", id + "-error"].filter(Boolean).join(" ");
  const input = h("input", { id, name, type, value, "aria-describedby": describedBy, ...attrs });
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    hint ? h("p", { class: "hint", id: id + "-hint" }, hint) : null,
    input,
    h("p", { class: "field-error", id: id + "-error", hidden: true })
  );
}

/** Shows the API's {"errors": {field: [message]}} on the form: each by its field, the rest at the top. */
export function showErrors(form, errors, fallback) {
  for (const p of form.querySelectorAll(".field-error")) {
    p.hidden = true;
    p.textContent = "";
  }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  const general = [];
  let first = null;
  for (const [name, messages] of Object.entries(errors || {})) {
    const text = [].concat(messages).join(" ");
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
    const slot = input && form.querySelector(`#f-${CSS.escape(name)}-error`);
    if (slot) {
      slot.textContent = text;
      slot.hidden = false;
      input.setAttribute("aria-invalid", "true");
      first = first || input;
    } else general.push(text);
  }
  const top = form.querySelector(".form-errors");
  if (top) {
    clear(top);
    const lines = general.length ? general : first ? [] : [fallback || _("Something went wrong. Please try again.")];
    if (lines.length) top.append(notice("error", ...lines.map((l) => h("p", {}, l))));
  }
  (first || top)?.focus?.();
}

export function busy(button, on) {
  button.disabled = on;
  button.setAttribute("aria-busy", on ? "true" : "false");
}

/** A table that stays readable on a phone: each row becomes a card with its column names (data-label). */
export function table(columns, rows, caption) {
  return h(
    "table",
    { class: "cards" },
    caption ? h("caption", {}, caption) : null,
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.label)))),
    h(
      "tbody",
      {},
      // One element in each cell: on a phone the cell is a grid of its label and its content.
      rows.map((row) => h("tr", {}, columns.map((c) => h("td", { "data-label": c.label }, h("div", {}, c.cell(row))))))
    )
  );
}

/** One message carried to the next screen (e.g. "this phone is verified" on the login). */
export const flash = {
  message: null,
  kind: "ok",
  set(message, kind = "ok") {
    this.message = message;
    this.kind = kind;
  },
  take() {
    const message = this.message;
    this.message = null;
    return message ? notice(this.kind, h("p", {}, message)) : null;
  },
};
