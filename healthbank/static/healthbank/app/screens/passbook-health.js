/*
 * The passbook's health screens in the app (issue 13, SPEC §6.1, §6.2): lab results with trend charts, imaging
 * and pathology reports, adult preventive care (the last two checks side by side), cancer screening, follow-up
 * care, the two risk assessments (recalculate with one's own values, reset), measurements and reminders.
 */
import * as api from "../api.js";
import { _, date, format, register } from "../core.js";
import { busy, clear, field, h, link, notice, showErrors, table } from "../ui.js";
import {
  chart,
  drawCharts,
  empty,
  facts,
  filterNote,
  flagWord,
  listHead,
  listQuery,
  number,
  open,
  pager,
  xLabels,
  put,
  dataTable,
} from "./passbook-kit.js";

/** A lab chart of the API in the app's date form (ROC dates in Chinese), with the app's words for flags. */
function labChart(data) {
  const dates = data.series.flatMap((s) => s.points.map((p) => p.x));
  return { ...data, x_labels: xLabels(dates), flag_labels: { high: _("High"), low: _("Low") } };
}

function valueWithFlag(value, unit, flag) {
  return h("span", { class: flag === "high" || flag === "low" ? "flagged" : null }, `${value} ${unit || ""}`.trim(), flag && flag !== "normal" ? ` (${flagWord(flag)})` : "");
}

// ------------------------------------------------------------------------------------------- labs

async function labs(view, { pid }, query) {
  if (!(await open(view, pid, _("Lab results")))) return;
  const base = `/passbook/${pid}/labs`;
  const data = await api.get(`passbook/${pid}/labs`, listQuery(query, ["lab"]));
  if (!view.alive()) return;
  const parts = [h("h2", {}, _("Blood sugar and lipids"))];
  const tests = data.glucose_and_lipids.filter((t) => t.history.length);
  if (!tests.length) parts.push(empty(_("No blood sugar or lipid results in this span.")));
  for (const t of tests) {
    parts.push(
      h(
        "section",
        { class: "lab-test", "aria-label": t.name },
        h("h3", {}, t.name),
        t.latest
          ? h("p", {}, _("Latest:"), " ", valueWithFlag(t.latest.value, t.latest.unit, t.latest.flag), " · ", date(t.latest.date), " · ", format(_("reference %(range)s"), { range: t.latest.reference_range }))
          : null,
        t.chart ? chart(labChart(t.chart), { label: format(_("Trend of %(name)s"), { name: t.name }) }) : null,
        h(
          "details",
          {},
          h("summary", {}, format(_("All %(count)s results as a table"), { count: t.history.length })),
          table(
            [
              { label: _("Date"), cell: (r) => date(r.date) },
              { label: _("Value"), cell: (r) => valueWithFlag(r.value, r.unit, r.flag) },
              { label: _("Reference"), cell: (r) => r.reference_range },
              { label: _("Institution"), cell: (r) => r.institution.name },
            ],
            [...t.history].reverse(),
            t.name
          )
        )
      )
    );
  }
  parts.push(
    h("h2", { id: "list-title" }, _("Other lab results")),
    filterNote(base, query, "lab", _("Only one test.")),
    listHead(base, query, data.page, [
      ["-date", _("Newest first")],
      ["date", _("Oldest first")],
      ["test", _("Test")],
      ["institution", _("Institution")],
    ]),
    data.other_labs.length
      ? table(
          [
            { label: _("Date"), cell: (r) => date(r.date) },
            { label: _("Test"), cell: (r) => r.name },
            { label: _("Value"), cell: (r) => valueWithFlag(r.value, r.unit, r.flag) },
            { label: _("Reference"), cell: (r) => r.reference_range },
            { label: _("Institution"), cell: (r) => r.institution.name },
          ],
          data.other_labs
        )
      : empty(),
    pager(base, query, data.page),
    h("p", {}, link(`/passbook/${pid}/reports`, _("Imaging and pathology reports")))
  );
  put(view, ...parts);
  drawCharts(view.main);
}

// ------------------------------------------------------------------------------------------- reports

async function reports(view, { pid }, query) {
  if (!(await open(view, pid, _("Imaging and pathology reports")))) return;
  const base = `/passbook/${pid}/reports`;
  const data = await api.get(`passbook/${pid}/reports`, listQuery(query, ["kind"]));
  if (!view.alive()) return;
  const kind = query.get("kind");
  put(view, 
    h(
      "div",
      { class: "segmented", role: "group", "aria-label": _("Kind of report") },
      [
        ["", _("All")],
        ["imaging", _("Imaging")],
        ["pathology", _("Pathology")],
      ].map(([key, text]) =>
        link(key ? `${base}?kind=${key}` : base, text)
      )
    ),
    listHead(base, query, data.page, [
      ["-date", _("Newest first")],
      ["date", _("Oldest first")],
      ["kind", _("Kind")],
      ["institution", _("Institution")],
    ]),
    data.reports.length
      ? table(
          [
            { label: _("Date"), cell: (r) => date(r.date) },
            { label: _("Report"), cell: (r) => link(`/passbook/${pid}/reports/${r.id}`, r.title) },
            { label: _("Kind"), cell: (r) => r.kind_label },
            { label: _("Institution"), cell: (r) => r.institution.name },
          ],
          data.reports
        )
      : empty(),
    pager(base, query, data.page)
  );
  for (const a of view.main.querySelectorAll(".segmented a")) {
    const key = new URLSearchParams(a.getAttribute("href").split("?")[1] || "").get("kind") || "";
    if (key === (kind || "")) a.setAttribute("aria-current", "true");
  }
}

async function report(view, { pid, rid }) {
  if (!(await open(view, pid, _("Report")))) return;
  const r = await api.get(`passbook/${pid}/reports/${rid}`);
  if (!view.alive()) return;
  view.back(r.kind === "discharge" ? `/passbook/${pid}/inpatient` : `/passbook/${pid}/reports`);
  put(view, 
    h("h2", {}, r.title),
    facts([
      [_("Kind"), r.kind_label],
      [_("Date"), date(r.date)],
      [_("Institution"), r.institution.name],
    ]),
    r.visit_id ? h("p", {}, link(`/passbook/${pid}/visits/${r.visit_id}`, _("The visit of this report"))) : null,
    h("div", { class: "report-text" }, r.text.split(/\n+/).map((line) => h("p", {}, line)))
  );
}

// ------------------------------------------------------------------------------------------- preventive care

function resultWord(result) {
  if (result === "abnormal") return _("Abnormal");
  if (result === "normal") return _("Normal");
  return _("Not done or cannot tell");
}

async function preventive(view, { pid }) {
  if (!(await open(view, pid, _("Adult preventive care")))) return;
  const data = await api.get(`passbook/${pid}/preventive`);
  if (!view.alive()) return;
  if (!data.checks.length) {
    put(view, empty(_("No adult preventive care check on record.")));
    return;
  }
  const [latest, before] = data.checks;
  const previous = (key) => (before ? before.sections.find((s) => s.key === key) : null);
  put(view, 
    h("p", {}, before ? _("Your last two checks, side by side (the newer first).") : _("Your last check.")),
    facts([
      [_("Latest check"), `${date(latest.date)} · ${latest.institution.name}${latest.institution.phone ? " · " + latest.institution.phone : ""}`],
      [_("Check before it"), before ? `${date(before.date)} · ${before.institution.name}` : ""],
    ]),
    latest.sections.map((s) => {
      const old = previous(s.key);
      return h(
        "section",
        { class: "check-section" + (s.result === "abnormal" ? " is-abnormal" : "") },
        h("h2", {}, s.title, " · ", resultWord(s.result)),
        s.reasons.length ? h("ul", { class: "reasons" }, s.reasons.map((r) => h("li", {}, r))) : null,
        dataTable(
          [
            { label: _("Item"), cell: (i) => i.label },
            { label: date(latest.date), cell: (i) => valueWithFlag(i.value, i.unit, i.flag) },
            ...(before
              ? [
                  {
                    label: date(before.date),
                    cell: (i) => {
                      const o = old && old.items.find((x) => x.label === i.label);
                      return o ? valueWithFlag(o.value, o.unit, o.flag) : "—";
                    },
                  },
                ]
              : []),
          ],
          s.items
        )
      );
    })
  );
}

// ------------------------------------------------------------------------------------------- cancer screening

function nextScreening(next) {
  if (!next) return "";
  const ages = next.to_age ? format(_("ages %(from)s to %(to)s"), { from: next.from_age, to: next.to_age }) : format(_("from age %(from)s"), { from: next.from_age });
  const every = format(_("covered every %(n)s years, %(ages)s"), { n: next.every_years, ages });
  const when = {
    due_now: _("Due now."),
    due_on: format(_("Next from %(date)s."), { date: date(next.due_on) }),
    not_yet: _("Not yet of age."),
    past_ages: _("Past the covered ages."),
    not_for_sex: _("Not covered for your sex."),
  }[next.status];
  return `${when || ""} (${every})`;
}

async function screening(view, { pid }) {
  if (!(await open(view, pid, _("Cancer screening")))) return;
  const data = await api.get(`passbook/${pid}/screening`);
  if (!view.alive()) return;
  put(view, 
    data.map((k) =>
      h(
        "section",
        {},
        h("h2", {}, k.label),
        h("p", { class: k.next && k.next.status === "due_now" ? "due-now" : null }, nextScreening(k.next)),
        k.results.length
          ? table(
              [
                { label: _("Date"), cell: (r) => date(r.date) },
                { label: _("Result"), cell: (r) => h("span", { class: r.abnormal ? "flagged" : null }, r.result, r.abnormal ? ` (${_("Abnormal")})` : "") },
                { label: _("Institution"), cell: (r) => r.institution.name },
              ],
              k.results
            )
          : empty(_("No results."))
      )
    )
  );
}

// ------------------------------------------------------------------------------------------- follow-up care

async function followUp(view, { pid }) {
  if (!(await open(view, pid, _("Follow-up care")))) return;
  const data = await api.get(`passbook/${pid}/follow-up`);
  if (!view.alive()) return;
  const programs = data.filter((p) => p.rows.length);
  if (!programs.length) put(view, empty(_("No follow-up care on record.")));
  for (const p of programs) {
    put(view, 
      h(
        "section",
        { id: "program-" + p.program },
        h("h2", {}, p.label),
        p.values.filter((v) => v.chart).map((v) => [h("h3", {}, `${v.name} (${v.unit})`), chart(labChart(v.chart), { label: format(_("Trend of %(name)s"), { name: v.name }) })]),
        table(
          [
            { label: _("Date"), cell: (r) => date(r.date) },
            ...p.values.map((v) => ({ label: `${v.name} (${v.unit})`, cell: (r) => r.values[v.key] ?? "—" })),
            { label: _("Institution"), cell: (r) => r.institution.name },
          ],
          [...p.rows].reverse(),
          format(_("%(program)s: values over time"), { program: p.label })
        )
      )
    );
  }
  drawCharts(view.main);
}

// ------------------------------------------------------------------------------------------- risk assessments

const RISK_NUMBERS = () => [
  ["age", _("Age"), _("years")],
  ["alt", _("ALT (SGPT)"), "U/L"],
  ["egfr", _("eGFR"), "mL/min/1.73 m²"],
  ["creatinine", _("Creatinine (used when eGFR is blank)"), "mg/dL"],
  ["uacr", _("Urine albumin/creatinine ratio (ACR)"), "mg/g"],
  ["upcr", _("Urine protein/creatinine ratio (PCR)"), "mg/g"],
];

function sourceText(source) {
  if (!source) return _("Not in your uploaded data: enter your own value if you know it.");
  if (source.source === "person") return _("From your registration.");
  return format(_("Loaded from %(lab)s, %(date)s, %(institution)s."), { lab: source.lab, date: date(source.date), institution: source.institution });
}

function choice(name, label, options, value, hint) {
  const id = "f-" + name;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    h("p", { class: "hint", id: id + "-hint" }, hint),
    h("select", { id, name, "aria-describedby": `${id}-hint ${id}-error` }, options.map(([v, text]) => h("option", { value: v, selected: v === (value || "") }, text))),
    h("p", { class: "field-error", id: id + "-error", hidden: true })
  );
}

function riskResult(result) {
  if (!result) return [];
  const liver = result.liver;
  const kidney = result.kidney;
  const missing = { alt: _("ALT"), hbeag: _("HBeAg (positive or negative)") };
  return [
    h("h2", {}, _("Liver-cancer risk")),
    liver
      ? [
          h("p", { class: "risk-answer" }, format(_("Score %(points)s: 10-year chance of liver cancer %(band)s."), { points: liver.points, band: liver.band })),
          liver.caveats.length ? h("ul", {}, liver.caveats.map((c) => h("li", {}, c.text || c))) : null,
        ]
      : h("p", {}, _("To calculate it we need:"), " ", result.liver_missing.map((f) => missing[f] || f).join(_(", ")), _(".")),
    h("h2", {}, _("Chronic kidney disease prognosis")),
    kidney
      ? h(
          "p",
          { class: "risk-answer" },
          format(_("You are in %(g)s %(a)s: %(colour)s; follow-up %(often)s."), {
            g: kidney.gfr_category,
            a: kidney.albuminuria || "—",
            colour: kidney.colour_words,
            often: kidney.follow_up_words,
          })
        )
      : h("p", {}, _("To place you on the map we need your eGFR or your creatinine.")),
    result.heat_map && result.heat_map.length
      ? h(
          "table",
          { class: "heat-map" },
          h("caption", {}, _("KDIGO heat map: how often to follow up a year, by GFR category (rows) and albuminuria (columns)")),
          h("thead", {}, h("tr", {}, h("td"), ["A1", "A2", "A3"].map((a) => h("th", { scope: "col" }, a)))),
          h(
            "tbody",
            {},
            result.heat_map.map((row) =>
              h(
                "tr",
                {},
                h("th", { scope: "row" }, row.gfr_category),
                row.cells.map((c) =>
                  h(
                    "td",
                    { class: `kdigo-${c.colour_class}${c.here ? " kdigo-here" : ""}`, "aria-current": c.here ? "true" : null },
                    c.follow_up_count,
                    c.here ? h("strong", { class: "kdigo-you" }, _("You are here")) : null
                  )
                )
              )
            )
          )
        )
      : null,
  ];
}

async function risk(view, { pid }) {
  if (!(await open(view, pid, _("Risk assessments")))) return;
  const data = await api.get(`passbook/${pid}/risk`);
  if (!view.alive()) return;
  const results = h("div", { id: "risk-result", "aria-live": "polite" });
  const form = h("form", { class: "risk-form", novalidate: true });
  const draw = (answer) => {
    clear(form).append(
      h(
        "div",
        {},
      h("div", { class: "form-errors", tabindex: "-1" }),
      choice("sex", _("Sex"), [["M", _("Male")], ["F", _("Female")]], answer.form.sex, sourceText(answer.loaded.sex)),
      choice("hbeag", _("Hepatitis B e antigen (HBeAg)"), [["", _("Not known")], ["negative", _("Negative")], ["positive", _("Positive")]], answer.form.hbeag, sourceText(answer.loaded.hbeag)),
      choice("hbsag", _("Hepatitis B surface antigen (HBsAg)"), [["", _("Not known")], ["negative", _("Negative")], ["positive", _("Positive (carrier)")]], answer.form.hbsag, sourceText(answer.loaded.hbsag)),
      RISK_NUMBERS().map(([name, label, unit]) =>
        field({ name, label: `${label} (${unit})`, value: answer.form[name] || "", hint: sourceText(answer.loaded[name]), attrs: { inputmode: "decimal", autocomplete: "off" } })
      ),
      h("button", { type: "submit", class: "primary" }, _("Recalculate")),
      h("button", { type: "button", class: "secondary", onclick: reset }, _("Reset to my loaded data"))
      )
    );
    clear(results).append(
      h(
        "div",
        {},
        answer.recalculated ? notice("info", h("p", {}, _("Recalculated with the values you entered. Nothing was saved."))) : null,
        riskResult(answer.result)
      )
    );
  };
  const reset = async () => {
    const fresh = await api.get(`passbook/${pid}/risk`);
    if (view.alive()) draw(fresh);
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    const body = {};
    for (const input of form.querySelectorAll("input[name], select[name]")) body[input.name] = input.value.trim();
    busy(button, true);
    try {
      const answer = await api.post(`passbook/${pid}/risk`, body);
      if (view.alive()) draw(answer);
    } catch (error) {
      if (error.kind === "refused") showErrors(form, error.errors);
      else showErrors(form, {}, error.text);
    } finally {
      busy(button, false);
    }
  });
  put(view, 
    h("p", {}, _("Risk factors are loaded from the results contracted institutions uploaded. Choose Recalculate to change any value; choose Reset to go back to your loaded data. Nothing you enter is saved. This is not a diagnosis: talk to your doctor.")),
    form,
    results
  );
  draw(data);
}

// ------------------------------------------------------------------------------------------- measurements

const MEASURES = () => [
  ["height_cm", _("Height"), "cm", "decimal"],
  ["weight_kg", _("Weight"), "kg", "decimal"],
  ["waist_cm", _("Waist"), "cm", "decimal"],
  ["systolic", _("Systolic pressure"), "mmHg", "numeric"],
  ["diastolic", _("Diastolic pressure"), "mmHg", "numeric"],
  ["fasting_glucose", _("Fasting blood sugar"), "mg/dL", "numeric"],
  ["heart_rate", _("Heart rate"), _("a minute"), "numeric"],
];

function todayIso() {
  const taipei = new Date(Date.now() + 8 * 3600 * 1000);
  return taipei.toISOString().slice(0, 10);
}

function measurementCharts(rows) {
  const oldest = [...rows].reverse();
  const series = (key, label) => ({ label, points: oldest.filter((r) => r[key] !== null && r[key] !== undefined).map((r) => ({ x: r.date, y: r[key], flag: null })) });
  const out = [];
  const pressure = [series("systolic", _("Systolic pressure")), series("diastolic", _("Diastolic pressure"))].filter((s) => s.points.length);
  if (pressure.length) {
    const dates = pressure.flatMap((s) => s.points.map((p) => p.x));
    out.push([_("Blood pressure"), { type: "line", title: _("Blood pressure"), unit: "mmHg", series: pressure, reference: { low: null, high: null }, x_labels: xLabels(dates) }]);
  }
  const weight = series("weight_kg", _("Weight"));
  if (weight.points.length) {
    out.push([_("Weight"), { type: "line", title: _("Weight"), unit: "kg", series: [weight], reference: { low: null, high: null }, x_labels: xLabels(weight.points.map((p) => p.x)) }]);
  }
  const sugar = series("fasting_glucose", _("Fasting blood sugar"));
  if (sugar.points.length) {
    out.push([_("Fasting blood sugar"), { type: "line", title: _("Fasting blood sugar"), unit: "mg/dL", series: [sugar], reference: { low: 70, high: 99, label: "70-99" }, x_labels: xLabels(sugar.points.map((p) => p.x)) }]);
  }
  return out;
}

async function measurements(view, { pid }) {
  if (!(await open(view, pid, _("Measurements")))) return;
  const data = await api.get(`passbook/${pid}/measurements`);
  if (!view.alive()) return;
  const names = Object.fromEntries(MEASURES().map(([k, label, unit]) => [k, [label, unit]]));
  names.bmi = [_("BMI"), "kg/m²"];
  const parts = [h("h2", {}, _("Latest values"))];
  const latest = Object.entries(data.latest || {});
  parts.push(
    latest.length
      ? dataTable(
          [
            { label: _("Measure"), cell: ([k]) => (names[k] ? names[k][0] : k) },
            { label: _("Value"), cell: ([k, v]) => `${number(v.value)} ${names[k] ? names[k][1] : ""}`.trim() },
            { label: _("Date"), cell: ([, v]) => date(v.date) },
          ],
          latest
        )
      : empty(_("No measurements yet."))
  );
  if (data.may_add) {
    const form = h(
      "form",
      { class: "measure-form", novalidate: true },
      h("div", { class: "form-errors", tabindex: "-1" }),
      field({ name: "measured_on", label: _("Date measured"), type: "date", value: todayIso(), attrs: { max: todayIso(), required: true } }),
      MEASURES().map(([name, label, unit, mode]) => field({ name, label: `${label} (${unit})`, attrs: { inputmode: mode, autocomplete: "off" } })),
      h("button", { type: "submit", class: "primary" }, _("Save the measurement"))
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      const body = {};
      for (const input of form.querySelectorAll("input[name]")) {
        const value = input.value.trim();
        if (value !== "") body[input.name] = value;
      }
      busy(button, true);
      try {
        await api.post(`passbook/${pid}/measurements`, body);
        if (!view.alive()) return;
        clear(view.main);
        await measurements(view, { pid });
        view.main.prepend(notice("ok", h("p", {}, _("The measurement is saved."))));
      } catch (error) {
        if (error.kind === "refused") showErrors(form, error.errors);
        else showErrors(form, {}, error.text);
      } finally {
        busy(button, false);
      }
    });
    parts.push(h("h2", {}, _("Add a measurement")), form);
  }
  const charts = measurementCharts(data.measurements);
  if (charts.length) {
    parts.push(h("h2", {}, _("Trends")));
    for (const [title, data_] of charts) parts.push(h("h3", {}, title), chart(data_, { label: format(_("Trend of %(name)s"), { name: title }) }));
  }
  if (data.measurements.length) {
    parts.push(
      h("h2", {}, _("All measurements")),
      table(
        [
          { label: _("Date"), cell: (r) => date(r.date) },
          ...MEASURES().map(([k, label, unit]) => ({ label: `${label} (${unit})`, cell: (r) => number(r[k]) || "—" })),
          { label: _("BMI"), cell: (r) => (r.bmi ? `${r.bmi} ${r.bmi_category_label || ""}`.trim() : "—") },
        ],
        data.measurements
      )
    );
  }
  put(view, ...parts);
  drawCharts(view.main);
}

// ------------------------------------------------------------------------------------------- reminders

async function reminders(view, { pid }) {
  if (!(await open(view, pid, _("Reminders")))) return;
  const data = await api.get(`passbook/${pid}/reminders`);
  if (!view.alive()) return;
  const screens = { allergies: "allergies", wishes: "wishes", refills: "refills" };
  put(view, 
    data.reminders.length
      ? h(
          "ul",
          { class: "reminders" },
          data.reminders.map((r) => h("li", {}, h("strong", {}, r.until ? `${date(r.date)} – ${date(r.until)}` : date(r.date)), h("span", {}, r.what), h("small", {}, r.why)))
        )
      : empty(_("No reminders now.")),
    data.links.length
      ? h("ul", { class: "menu" }, data.links.filter((l) => screens[l.name]).map((l) => h("li", {}, link(`/passbook/${pid}/${screens[l.name]}`, l.label))))
      : null
  );
}

register("/passbook/:pid/labs", labs);
register("/passbook/:pid/reports", reports);
register("/passbook/:pid/reports/:rid", report);
register("/passbook/:pid/preventive", preventive);
register("/passbook/:pid/screening", screening);
register("/passbook/:pid/follow-up", followUp);
register("/passbook/:pid/risk", risk);
register("/passbook/:pid/measurements", measurements);
register("/passbook/:pid/reminders", reminders);
