/*
 * The passbook's care screens in the app (issue 13, SPEC §6.1): western and Chinese medicine (top-5 diagnoses
 * chart), dental (tooth chart), inpatient stays by year, surgery (body diagram), medication by class, refills and
 * one visit (Chinese | English names).
 */
import * as api from "../api.js";
import { _, date, format, language, ngettext, register } from "../core.js";
import { h, link, table } from "../ui.js";
import {
  chart,
  coded,
  dateRange,
  diagram,
  drawCharts,
  empty,
  facts,
  filterNote,
  listHead,
  listPath,
  listQuery,
  money,
  number,
  open,
  pager,
  svg,
  put,
  dataTable,
} from "./passbook-kit.js";

const VISIT_SORTS = () => [
  ["-date", _("Newest first")],
  ["date", _("Oldest first")],
  ["institution", _("Institution")],
  ["-copayment", _("Copayment, highest first")],
  ["-points", _("Points, highest first")],
];

function visitLink(pid, id, text) {
  return link(`/passbook/${pid}/visits/${id}`, text);
}

function visitTable(pid, visits, extra = []) {
  return table(
    [
      { label: _("Date"), cell: (v) => visitLink(pid, v.id, dateRange(v.date, v.end_date)) },
      { label: _("Institution"), cell: (v) => v.institution.name },
      { label: _("Diagnosis"), cell: (v) => coded(v.diagnosis) },
      ...extra,
      { label: _("Copayment"), cell: (v) => money(v.copayment) },
    ],
    visits
  );
}

// ------------------------------------------------------------------------------------------- western, Chinese

function visitList(endpoint, title) {
  return async (view, { pid }, query) => {
    if (!(await open(view, pid, title()))) return;
    const base = `/passbook/${pid}/${endpoint}`;
    const data = await api.get(`passbook/${pid}/${endpoint}`, listQuery(query, ["icd", "institution"]));
    if (!view.alive()) return;
    const parts = [];
    if (data.top_diagnoses && data.top_diagnoses.length) {
      const heading = _("Top 5 diagnoses in 3 years");
      parts.push(
        h("h2", {}, heading),
        h("p", { class: "hint" }, _("Tap a slice or a diagnosis to see only its visits.")),
        chart(
          {
            type: "doughnut",
            title: heading,
            labels: data.top_diagnoses.map((d) => d.name),
            values: data.top_diagnoses.map((d) => d.count),
            links: data.top_diagnoses.map((d) => "#" + listPath(base, new URLSearchParams(), { icd: d.code })),
          },
          { label: heading }
        ),
        dataTable(
          [
            { label: _("Diagnosis"), cell: (d) => link(listPath(base, new URLSearchParams(), { icd: d.code }), coded(d)) },
            { label: _("Visits"), cell: (d) => number(d.count) },
          ],
          data.top_diagnoses,
          heading
        )
      );
    }
    const icd = query.get("icd");
    const named = icd && (data.visits.find((v) => v.diagnosis.code === icd) || {}).diagnosis;
    parts.push(
      h("h2", { id: "list-title" }, _("Visits")),
      filterNote(base, query, "icd", format(_("Only visits for %(diagnosis)s."), { diagnosis: named ? coded(named) : icd })),
      filterNote(base, query, "institution", _("Only visits at one institution.")),
      listHead(base, query, data.page, VISIT_SORTS()),
      data.visits.length ? visitTable(pid, data.visits) : empty(),
      pager(base, query, data.page)
    );
    put(view, ...parts);
    drawCharts(view.main);
  };
}

// ------------------------------------------------------------------------------------------- one visit

async function visit(view, { pid, vid }, query) {
  if (!(await open(view, pid, _("Visit details")))) return;
  const lang = query.get("lang") === "en" || query.get("lang") === "zh-hant" ? query.get("lang") : language();
  const v = await api.get(`passbook/${pid}/visits/${vid}`, { lang });
  if (!view.alive()) return;
  const lists = { chinese: "chinese-medicine", dental: "dental", inpatient: "inpatient" };
  view.back(`/passbook/${pid}/${lists[v.kind] || "outpatient"}`);
  const base = `/passbook/${pid}/visits/${vid}`;
  const toggle = h(
    "div",
    { class: "segmented", role: "group", "aria-label": _("Names of diagnoses, drugs and orders in") },
    [
      ["zh-hant", "中文", "zh-Hant-TW"],
      ["en", "English", "en"],
    ].map(([key, text, tag]) =>
      h("a", { href: "#" + listPath(base, query, { lang: key }), lang: tag, "aria-current": key === lang ? "true" : null }, text)
    )
  );
  put(view, 
    h("h2", {}, v.kind_label, " · ", dateRange(v.date, v.end_date)),
    toggle,
    facts([
      [_("Institution"), coded(v.institution)],
      [_("Card visit number"), v.card_sequence],
      [_("Card used"), v.card_medium_label],
      [_("Refill"), v.refill_number ? format(_("Refill %(n)s"), { n: v.refill_number }) : ""],
      [_("Copayment"), money(v.copayment)],
      [_("NHI points"), number(v.points)],
    ]),
    h("h3", {}, _("Diagnoses")),
    h(
      "ol",
      { class: "plain-list", lang: lang === "en" ? "en" : "zh-Hant-TW" },
      v.diagnoses.map((d) => h("li", {}, coded(d)))
    ),
    h("h3", {}, _("Drug orders")),
    v.drug_orders.length
      ? table(
          [
            { label: _("Drug"), cell: (d) => h("span", {}, d.name, h("br"), h("small", {}, d.code)) },
            { label: _("Class"), cell: (d) => d.atc_class },
            { label: _("Days"), cell: (d) => number(d.days_supplied) },
            { label: _("Quantity"), cell: (d) => number(d.quantity) },
            { label: _("Frequency"), cell: (d) => d.frequency },
          ],
          v.drug_orders
        )
      : empty(_("No drug orders.")),
    h("h3", {}, _("Other orders")),
    v.non_drug_orders.length
      ? table(
          [
            { label: _("Order"), cell: (o) => h("span", {}, o.name, h("br"), h("small", {}, o.code)) },
            { label: _("Quantity"), cell: (o) => number(o.quantity) },
            { label: _("Tooth"), cell: (o) => (o.tooth ? String(o.tooth) : "") },
            { label: _("Surgery"), cell: (o) => (o.surgery ? _("Yes") : "") },
          ],
          v.non_drug_orders
        )
      : empty(_("No other orders.")),
    h("h3", {}, _("Reports")),
    v.reports.length
      ? h(
          "ul",
          { class: "plain-list" },
          v.reports.map((r) => h("li", {}, link(`/passbook/${pid}/reports/${r.id}`, r.title || r.kind_label), " ", date(r.date)))
        )
      : empty(_("No reports."))
  );
}

// ------------------------------------------------------------------------------------------- dental

async function toothChart(pid, teeth, base) {
  const marked = new Map(teeth.map((t) => [t.tooth, t.visits]));
  const chartSvg = await diagram("teeth");
  const titleId = "tc-title";
  chartSvg.setAttribute("role", "group");
  chartSvg.setAttribute("aria-labelledby", titleId);
  chartSvg.prepend(svg("title", { id: titleId }, _("Tooth chart: adult teeth, FDI numbering")));
  for (const [cls, text] of [
    ["guide-upper", _("Upper")],
    ["guide-lower", _("Lower")],
    ["guide-right", _("Right")],
    ["guide-left", _("Left")],
  ]) {
    const node = chartSvg.querySelector("." + cls);
    if (node) node.textContent = text;
  }
  for (const tooth of chartSvg.querySelectorAll("g.tooth[data-fdi]")) {
    const fdi = Number(tooth.dataset.fdi);
    const count = marked.get(fdi);
    if (!count) continue;
    const label = format(ngettext("Tooth %(fdi)s: %(count)s visit", "Tooth %(fdi)s: %(count)s visits", count), { fdi, count });
    const a = svg("a", { class: "tooth is-marked", href: "#" + listPath(base, new URLSearchParams(), { tooth: fdi }), "aria-label": label });
    const shape = tooth.querySelector(".tooth-shape");
    shape.setAttribute("fill", "url(#tc-hatch)");
    shape.setAttribute("stroke", "#0b3d2c");
    shape.setAttribute("stroke-width", "2.6");
    tooth.querySelector(".tooth-groove")?.remove();
    const number = tooth.querySelector(".tooth-number");
    number.setAttribute("font-weight", "700");
    number.setAttribute("fill", "#0b3d2c");
    const [x, y] = [tooth.dataset.x, tooth.dataset.y];
    a.append(
      ...tooth.childNodes,
      svg("circle", { class: "tooth-count-badge", cx: x, cy: y, r: "8.5", fill: "#fff", stroke: "#0b3d2c", "stroke-width": "1.5" }),
      svg("text", { class: "tooth-count", x, y, dy: "0.35em", "font-weight": "700", fill: "#0b3d2c" }, String(count))
    );
    tooth.replaceWith(a);
  }
  const other = teeth.filter((t) => !chartSvg.querySelector(`a.tooth[href$="tooth=${t.tooth}"]`));
  return h(
    "figure",
    { class: "diagram tooth-chart" },
    chartSvg,
    h(
      "figcaption",
      {},
      h(
        "ul",
        { class: "diagram-legend" },
        h("li", {}, _("Hatched teeth have visits: the number in them counts the visits. Tap one to see them.")),
        h("li", {}, _("Seen facing the patient: the patient's right is on the left of the chart."))
      ),
      other.length
        ? h(
            "p",
            { class: "diagram-other" },
            _("Other teeth and areas:"),
            " ",
            other.map((t, i) => [
              i ? ", " : "",
              link(listPath(base, new URLSearchParams(), { tooth: t.tooth }), `${t.tooth} (${t.visits})`),
            ])
          )
        : null
    )
  );
}

async function dental(view, { pid }, query) {
  if (!(await open(view, pid, _("Dental")))) return;
  const base = `/passbook/${pid}/dental`;
  const data = await api.get(`passbook/${pid}/dental`, listQuery(query, ["tooth", "icd", "institution"]));
  if (!view.alive()) return;
  const figure = data.teeth.length ? await toothChart(pid, data.teeth, base) : null;
  if (!view.alive()) return;
  put(view, 
    h("h2", {}, _("Tooth chart")),
    figure || empty(_("No treatment of a named tooth in this span.")),
    data.teeth.length
      ? dataTable(
          [
            { label: _("Tooth"), cell: (t) => link(listPath(base, new URLSearchParams(), { tooth: t.tooth }), String(t.tooth)) },
            { label: _("Visits"), cell: (t) => number(t.visits) },
          ],
          data.teeth,
          _("Teeth with visits")
        )
      : null,
    h("h2", { id: "list-title" }, _("Dental visits")),
    filterNote(base, query, "tooth", format(_("Only visits that treated tooth %(tooth)s."), { tooth: query.get("tooth") })),
    filterNote(base, query, "icd", format(_("Only visits for %(diagnosis)s."), { diagnosis: query.get("icd") })),
    listHead(base, query, data.page, VISIT_SORTS()),
    data.visits.length
      ? visitTable(pid, data.visits, [
          { label: _("Teeth"), cell: (v) => [...new Set(v.teeth.map((t) => t.tooth))].join(", ") },
        ])
      : empty(),
    pager(base, query, data.page)
  );
}

// ------------------------------------------------------------------------------------------- inpatient

async function inpatient(view, { pid }, query) {
  if (!(await open(view, pid, _("Inpatient stays")))) return;
  const base = `/passbook/${pid}/inpatient`;
  const data = await api.get(`passbook/${pid}/inpatient`, listQuery(query, ["year", "icd", "institution"]));
  if (!view.alive()) return;
  const parts = [];
  if (data.years.length) {
    parts.push(
      h(
        "ul",
        { class: "chips", "aria-label": _("Stays by year of admission") },
        data.years.map((y) =>
          h(
            "li",
            {},
            link(
              listPath(base, query, { year: String(y.year) === query.get("year") ? null : y.year, page: null }),
              format(ngettext("%(year)s: %(n)s stay", "%(year)s: %(n)s stays", y.stays), { year: yearText(y.year), n: y.stays })
            )
          )
        )
      )
    );
  }
  parts.push(
    filterNote(base, query, "year", format(_("Only stays admitted in %(year)s."), { year: yearText(Number(query.get("year"))) })),
    listHead(base, query, data.page, [
      ["-date", _("Newest first")],
      ["date", _("Oldest first")],
      ["-discharge", _("Discharge date")],
      ["institution", _("Institution")],
      ["-copayment", _("Copayment, highest first")],
    ])
  );
  if (!data.stays.length) parts.push(empty());
  const years = [...new Set(data.stays.map((s) => s.year))];
  for (const year of years) {
    parts.push(
      h("h2", {}, yearText(year)),
      table(
        [
          { label: _("Stay"), cell: (s) => visitLink(pid, s.id, dateRange(s.date, s.end_date)) },
          { label: _("Institution"), cell: (s) => s.institution.name },
          { label: _("Diagnosis"), cell: (s) => coded(s.diagnosis) },
          { label: _("Copayment"), cell: (s) => money(s.copayment) },
          {
            label: _("Discharge summary"),
            cell: (s) => (s.discharge_summary ? link(`/passbook/${pid}/reports/${s.discharge_summary.id}`, s.discharge_summary.title) : _("None")),
          },
        ],
        data.stays.filter((s) => s.year === year)
      )
    );
  }
  parts.push(pager(base, query, data.page));
  put(view, ...parts);
}

/** A year as Taiwan writes it in Chinese (民國 115 年) and as a plain year in English. */
export function yearText(year) {
  if (!year) return "";
  return language() === "zh-hant" ? format(_("ROC year %(year)s"), { year: year - 1911 }) : String(year);
}

// ------------------------------------------------------------------------------------------- surgery

/** Two lines for a long name (after a comma or at a space), as the web's diagram does. */
function wrap(name, most) {
  if (name.length <= most) return [name];
  const breaks = [];
  for (let i = 1; i < name.length - 1; i++) if (", 、".includes(name[i])) breaks.push(i + 1);
  if (!breaks.length) return [name];
  const cut = breaks.reduce((best, i) =>
    Math.max(name.slice(0, i).trim().length, name.slice(i).trim().length) <
    Math.max(name.slice(0, best).trim().length, name.slice(best).trim().length)
      ? i
      : best
  );
  return [name.slice(0, cut).trim(), name.slice(cut).trim()];
}

function spread(centres, heights, top, bottom, gap) {
  const out = [];
  centres.forEach((y, i) => {
    const lowest = i === 0 ? top + heights[i] / 2 : out[i - 1] + (heights[i - 1] + heights[i]) / 2 + gap;
    out.push(Math.max(y, lowest));
  });
  const last = out.length - 1;
  if (last >= 0 && out[last] + heights[last] / 2 > bottom) {
    out[last] = bottom - heights[last] / 2;
    for (let i = last - 1; i >= 0; i--) out[i] = Math.min(out[i], out[i + 1] - (heights[i] + heights[i + 1]) / 2 - gap);
  }
  return out;
}

async function bodyDiagram(sex, sites, base) {
  const figure = await diagram(sex === "F" ? "body-F" : "body-M");
  const d = Object.fromEntries(Object.entries(figure.dataset).map(([k, v]) => [k, Number(v)]));
  figure.setAttribute("role", "group");
  figure.setAttribute("aria-labelledby", "bd-title");
  figure.prepend(
    svg("title", { id: "bd-title" }, sex === "F" ? _("Body diagram (female) of operated sites") : _("Body diagram (male) of operated sites"))
  );
  const leaders = figure.querySelector(".body-site-leaders");
  const placed = [];
  const other = [];
  for (const site of sites) {
    const slot = figure.querySelector(`circle[data-site="${CSS.escape(site.site)}"]`);
    if (!slot) {
      other.push(site);
      continue;
    }
    placed.push({ ...site, x: Number(slot.getAttribute("cx")), y: Number(slot.getAttribute("cy")), side: slot.dataset.side, lines: wrap(site.name, d.labelWrap) });
  }
  const marks = [];
  for (const side of ["left", "right"]) {
    const column = placed.filter((s) => s.side === side).sort((a, b) => a.y - b.y);
    const heights = column.map((s) => s.lines.length * d.labelLine);
    const ys = spread(column.map((s) => s.y), heights, d.labelTop, d.labelBottom, d.labelGap);
    column.forEach((s, i) => {
      const textX = side === "left" ? d.labelLeft : d.labelRight;
      const startX = textX + (side === "left" ? 4 : -4);
      const dx = startX - s.x;
      const dy = ys[i] - s.y;
      const reach = Math.hypot(dx, dy) || 1;
      leaders.append(svg("polyline", { points: `${startX.toFixed(1)},${ys[i].toFixed(1)} ${(s.x + (dx / reach) * d.radius).toFixed(1)},${(s.y + (dy / reach) * d.radius).toFixed(1)}` }));
      const baseline = ys[i] - ((s.lines.length - 1) * d.labelLine) / 2 + 4;
      const label = format(ngettext("%(site)s: %(count)s operation", "%(site)s: %(count)s operations", s.operations), { site: s.name, count: s.operations });
      marks.push({
        y: s.y,
        x: s.x,
        node: svg(
          "a",
          { class: "body-site", href: "#" + listPath(base, new URLSearchParams(), { site: s.site }), "aria-label": label },
          svg("circle", { class: "body-site-marker", cx: s.x, cy: s.y, r: "8.4", fill: "#0b6e4f", stroke: "#fff", "stroke-width": "1.6" }),
          svg("circle", { class: "body-site-ring", cx: s.x, cy: s.y, r: "10", fill: "none", stroke: "#0b3d2c", "stroke-width": "1.6" }),
          svg(
            "text",
            { class: "body-site-name", x: textX, y: baseline.toFixed(1), "text-anchor": side === "left" ? "end" : "start", fill: "#1d2b36" },
            s.lines.map((line, j) => [j ? " " : "", svg("tspan", { x: textX, dy: j ? "13" : null }, line)])
          ),
          " ", // the visible "name count" reads as two words, in the order of the accessible name
          svg("text", { class: "body-site-count", x: s.x, y: s.y, dy: "0.35em", "text-anchor": "middle", "font-size": "10.5", "font-weight": "700", fill: "#fff" }, String(s.operations))
        ),
      });
    });
  }
  marks.sort((a, b) => a.y - b.y || a.x - b.x).forEach((m) => figure.append(m.node));
  return h(
    "figure",
    { class: "diagram body-diagram" },
    figure,
    h(
      "figcaption",
      {},
      h(
        "ul",
        { class: "diagram-legend" },
        h("li", {}, _("Operated sites are marked with the number of operations. Tap one to see them.")),
        h("li", {}, _("Seen facing the person: their right is on the left of the picture."))
      ),
      other.length
        ? h("p", { class: "diagram-other" }, _("Other sites:"), " ", other.map((s, i) => [i ? ", " : "", link(listPath(base, new URLSearchParams(), { site: s.site }), `${s.name} (${s.operations})`)]))
        : null
    )
  );
}

async function surgery(view, { pid }, query) {
  if (!(await open(view, pid, _("Surgery")))) return;
  const base = `/passbook/${pid}/surgery`;
  const data = await api.get(`passbook/${pid}/surgery`, listQuery(query, ["site", "institution"]));
  if (!view.alive()) return;
  const figure = data.sites.length ? await bodyDiagram(data.sex, data.sites, base) : null;
  if (!view.alive()) return;
  const site = query.get("site");
  const siteName = site && (data.sites.find((s) => s.site === site) || {}).name;
  put(view, 
    h("h2", {}, _("Operated sites")),
    figure || empty(_("No operations in this span.")),
    data.sites.length
      ? dataTable(
          [
            { label: _("Site"), cell: (s) => link(listPath(base, new URLSearchParams(), { site: s.site }), s.name) },
            { label: _("Operations"), cell: (s) => number(s.operations) },
          ],
          data.sites,
          _("Operations by site")
        )
      : null,
    h("h2", { id: "list-title" }, _("Operations")),
    filterNote(base, query, "site", format(_("Only operations on: %(site)s."), { site: siteName || site })),
    listHead(base, query, data.page, [
      ["-date", _("Newest first")],
      ["date", _("Oldest first")],
      ["institution", _("Institution")],
      ["site", _("Site")],
      ["code", _("Code")],
    ]),
    data.operations.length
      ? table(
          [
            { label: _("Date"), cell: (o) => visitLink(pid, o.visit_id, dateRange(o.date, o.end_date)) },
            { label: _("Operation"), cell: (o) => `${o.name} (${o.code})` },
            { label: _("Site"), cell: (o) => o.site_name },
            { label: _("Institution"), cell: (o) => o.institution.name },
            { label: _("Copayment"), cell: (o) => money(o.copayment) },
          ],
          data.operations
        )
      : empty(),
    pager(base, query, data.page)
  );
}

// ------------------------------------------------------------------------------------------- medication, refills

async function medication(view, { pid }, query) {
  if (!(await open(view, pid, _("Medication")))) return;
  const base = `/passbook/${pid}/medication`;
  const data = await api.get(`passbook/${pid}/medication`, listQuery(query, ["class"]));
  if (!view.alive()) return;
  const parts = [
    data.groups.length
      ? h(
          "details",
          { class: "groups" },
          h("summary", {}, _("Drug classes")),
          h(
            "ul",
            { class: "plain-list" },
            data.groups.map((g) => h("li", {}, link(listPath(base, query, { class: g.key, page: null }), `${g.name} (${g.drugs})`)))
          )
        )
      : null,
    filterNote(base, query, "class", format(_("Only the class %(name)s."), { name: (data.groups.find((g) => g.key === query.get("class")) || {}).name || query.get("class") })),
    listHead(base, query, data.page, [
      ["-last", _("Last dispensed, newest first")],
      ["name", _("Name")],
      ["code", _("Code")],
      ["-count", _("Times dispensed, most first")],
      ["-quantity", _("Quantity, most first")],
    ]),
  ];
  if (!data.drugs.length) parts.push(empty());
  const groups = [...new Set(data.drugs.map((d) => d.group))];
  for (const key of groups) {
    const rows = data.drugs.filter((d) => d.group === key);
    parts.push(
      h("h2", {}, rows[0].group_name || key),
      table(
        [
          { label: _("Drug"), cell: (d) => h("span", {}, d.name, h("br"), h("small", {}, d.code)) },
          { label: _("Last dispensed"), cell: (d) => date(d.last_dispensed) },
          { label: _("Times"), cell: (d) => number(d.dispensings) },
          { label: _("Total quantity"), cell: (d) => number(d.total_quantity) },
        ],
        rows
      )
    );
  }
  parts.push(pager(base, query, data.page));
  put(view, ...parts);
}

async function refills(view, { pid }, query) {
  if (!(await open(view, pid, _("Refill records")))) return;
  const base = `/passbook/${pid}/refills`;
  const data = await api.get(`passbook/${pid}/refills`, listQuery(query, ["icd", "institution"]));
  if (!view.alive()) return;
  put(view, 
    filterNote(base, query, "icd", format(_("Only visits for %(diagnosis)s."), { diagnosis: query.get("icd") })),
    listHead(base, query, data.page, [
      ["-date", _("Newest first")],
      ["date", _("Oldest first")],
      ["institution", _("Pharmacy")],
      ["refill", _("Refill number")],
    ]),
    data.refills.length
      ? table(
          [
            { label: _("Date"), cell: (r) => visitLink(pid, r.id, date(r.date)) },
            { label: _("Pharmacy"), cell: (r) => r.institution.name },
            { label: _("Refill"), cell: (r) => format(_("%(n)s of %(fills)s"), { n: r.refill_number ?? "", fills: r.fills }) },
            { label: _("Diagnosis"), cell: (r) => coded(r.diagnosis) },
            { label: _("Prescribed by"), cell: (r) => `${r.prescribed_by.name} · ${date(r.prescribed_on)}` },
            { label: _("Drugs"), cell: (r) => h("ul", { class: "plain-list" }, r.drugs.map((d) => h("li", {}, `${d.name} · ${format(_("%(days)s days"), { days: d.days_supplied })}`))) },
          ],
          data.refills
        )
      : empty(),
    pager(base, query, data.page)
  );
}

register("/passbook/:pid/outpatient", visitList("outpatient", () => _("Western medicine")));
register("/passbook/:pid/chinese-medicine", visitList("chinese-medicine", () => _("Chinese medicine")));
register("/passbook/:pid/visits/:vid", visit);
register("/passbook/:pid/dental", dental);
register("/passbook/:pid/inpatient", inpatient);
register("/passbook/:pid/surgery", surgery);
register("/passbook/:pid/medication", medication);
register("/passbook/:pid/refills", refills);
