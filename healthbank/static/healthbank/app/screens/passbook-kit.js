/*
 * What every passbook screen of the app shares (issue 13): whose passbook is open (the name on every screen, a
 * way back to the categories and to the chooser), list paging, sorting and "older records", charts drawn by the
 * web's passbook-charts.js from a JSON island, the unmarked diagrams the app marks, and small formatters.
 */
import * as api from "../api.js";
import { _, config, date, format, go, keep, ngettext, thousands } from "../core.js";
import { h, link, notice } from "../ui.js";

let kept = { token: null, list: null }; // GET passbook for this login, in memory only (masked names)

/** The passbooks this person may open (their own, each child under 15): asked once a login, then kept. */
export async function passbooks({ fresh = false } = {}) {
  const token = (keep.token() || {}).token || null;
  if (fresh || !kept.list || kept.token !== token) kept = { token, list: await api.get("passbook") };
  return kept.list;
}

/**
 * Opens a passbook screen: its title, the back link (to the categories, or ``back``), and the bar naming whose
 * passbook it is with a way to the categories and, for a parent, to the chooser. False: the screen has gone.
 */
export async function open(view, pid, title, back) {
  view.title(title);
  view.back(back === undefined ? `/passbook/${pid}` : back);
  let list = await passbooks();
  if (!list.some((p) => p.person_id === pid)) list = await passbooks({ fresh: true });
  if (!view.alive()) return false;
  view.main.append(whoseBar(pid, list.find((p) => p.person_id === pid), list.length > 1));
  return true; // a passbook not in the list still asks the API, which answers 404 in its own words
}

export function whoseBar(pid, person, many, { overview = false } = {}) {
  const name = person ? person.name : "";
  const whose = person && person.why !== "self" ? _("Child's passbook") : _("My own passbook");
  return h(
    "div",
    { class: "whose" },
    h("p", { class: "whose-name" }, h("span", { class: "whose-label" }, whose, _(": ")), h("strong", { lang: "zh-Hant-TW" }, name)),
    h(
      "p",
      { class: "whose-links" },
      overview ? null : link(`/passbook/${pid}`, _("All categories")),
      many ? link("/passbook", _("Switch passbook")) : null
    )
  );
}

// ------------------------------------------------------------------------------------------- lists

/** The API query of a list screen: the hash's sort, page, older and the list's own filters. */
export function listQuery(query, filters = []) {
  const out = {};
  for (const name of ["sort", "page", "older", ...filters]) {
    const value = query.get(name);
    if (value) out[name] = value;
  }
  return out;
}

/** The hash path of this list with some parameters changed (null removes one). */
export function listPath(base, query, changes) {
  const next = new URLSearchParams(query);
  for (const [name, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === "") next.delete(name);
    else next.set(name, value);
  }
  const text = next.toString();
  return text ? `${base}?${text}` : base;
}

/** Above a list: how many records, since when, a sort choice (where the API sorts) and older records. */
export function listHead(base, query, info, sorts = []) {
  const parts = [];
  const count = format(ngettext("%(count)s record", "%(count)s records", info.count), { count: thousands(info.count) });
  parts.push(
    h(
      "p",
      { class: "list-count", role: "status" },
      info.since ? format(_("%(count)s since %(since)s"), { count, since: date(info.since) }) : count
    )
  );
  if (sorts.length) {
    const id = "sort-" + Math.random().toString(36).slice(2, 8);
    const select = h(
      "select",
      { id, name: "sort" },
      sorts.map(([key, label]) => h("option", { value: key, selected: key === info.sort }, label))
    );
    select.addEventListener("change", () => go(listPath(base, query, { sort: select.value, page: null })));
    parts.push(h("div", { class: "field sort-field" }, h("label", { for: id }, _("Sort by")), select));
  }
  if (info.has_older || query.get("older") === "1") {
    parts.push(
      h(
        "p",
        { class: "older" },
        query.get("older") === "1"
          ? link(listPath(base, query, { older: null, page: null }), _("Show only recent records"))
          : link(listPath(base, query, { older: "1", page: null }), _("Show older records too"))
      )
    );
  }
  return h("div", { class: "list-head" }, parts);
}

/** Under a list: previous and next page. */
export function pager(base, query, info) {
  if (!info || info.pages <= 1) return null;
  return h(
    "nav",
    { class: "pager", "aria-label": _("Pages") },
    info.page > 1 ? link(listPath(base, query, { page: info.page - 1 }), _("‹ Previous page")) : h("span"),
    h("span", { class: "pager-where" }, format(_("Page %(page)s of %(pages)s"), { page: info.page, pages: info.pages })),
    info.page < info.pages ? link(listPath(base, query, { page: info.page + 1 }), _("Next page ›")) : h("span")
  );
}

/** A filter in force, with the way to remove it. */
export function filterNote(base, query, name, text) {
  if (!query.get(name)) return null;
  return notice("info", h("p", {}, text, " ", link(listPath(base, query, { [name]: null, page: null }), _("Show all"))));
}

export function empty(text) {
  return h("p", { class: "empty" }, text || _("No records."));
}

// ------------------------------------------------------------------------------------------- small formatters

export function money(n) {
  return n === null || n === undefined ? "" : "NT$" + thousands(n);
}

export function coded(c) {
  if (!c) return "";
  return c.code ? `${c.name} (${c.code})` : c.name;
}

export function dateRange(from, to) {
  return to ? `${date(from)} – ${date(to)}` : date(from);
}

export function number(n) {
  if (n === null || n === undefined || n === "") return "";
  return Number.isInteger(n) ? thousands(n) : String(n);
}

/** A list of [label, value] as a definition list (values that are empty are left out). */
export function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs.filter(([, v]) => v !== "" && v !== null && v !== undefined).map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v)))
  );
}

// ------------------------------------------------------------------------------------------- charts

let charts = 0;

/**
 * A chart of passbook-charts.js: a canvas and its JSON island (a script element of type application/json,
 * written as text, never run). Call drawCharts(container) once it is on the screen. The caller gives the data as
 * a table as well.
 */
export function chart(data, { label, small = false } = {}) {
  const id = `app-chart-${++charts}`;
  const island = h("script", { type: "application/json", id });
  island.textContent = JSON.stringify(data);
  return h(
    "div",
    { class: "chart-box" + (small ? " chart-box-small" : "") },
    h("canvas", { "data-chart": id, role: "img", "aria-label": label || data.title || "" }),
    island
  );
}

export function drawCharts(root) {
  if (window.HealthBankCharts) window.HealthBankCharts.draw(root);
}

/** x_labels of a line chart: each ISO date as the app writes it (ROC dates in Chinese). */
export function xLabels(dates) {
  const out = {};
  for (const d of dates) out[d] = date(d);
  return out;
}

export function flagWord(flag) {
  if (flag === "high") return _("High");
  if (flag === "low") return _("Low");
  if (flag === "normal") return _("Normal");
  return "";
}

// ------------------------------------------------------------------------------------------- diagrams

const SVG = "http://www.w3.org/2000/svg";
const diagrams = new Map(); // name → SVG text (no person in it; the service worker keeps these files too)

export function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** An unmarked diagram of the shell (/app/diagrams/<name>.svg) as a fresh SVG element. */
export async function diagram(name) {
  if (!diagrams.has(name)) {
    const response = await fetch(`${config.scope}diagrams/${name}.svg`, { credentials: "omit" });
    if (!response.ok) throw new api.ApiError("failed", response.status);
    diagrams.set(name, await response.text());
  }
  const parsed = new DOMParser().parseFromString(diagrams.get(name), "image/svg+xml");
  return document.importNode(parsed.documentElement, true);
}

/** Puts a screen's parts on it (what is null or false is left out). */
export function put(view, ...children) {
  view.main.append(h("div", { class: "screen" }, ...children));
}

/** A small table that stays a table on a phone (two or three short columns: a chart's data). */
export function dataTable(columns, rows, caption) {
  return h(
    "table",
    { class: "data-table" },
    caption ? h("caption", {}, caption) : null,
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.label)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, columns.map((c, i) => h(i ? "td" : "th", i ? {} : { scope: "row" }, c.cell(row))))))
  );
}
