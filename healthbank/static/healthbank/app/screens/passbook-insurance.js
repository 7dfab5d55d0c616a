/*
 * The passbook's insurance and personal records in the app (issue 13, SPEC §6.1): insurance status, cards,
 * premiums and payments, vaccinations, allergies and care wishes.
 */
import * as api from "../api.js";
import { _, date, format, month, register } from "../core.js";
import { h, link, table } from "../ui.js";
import { dateRange, empty, facts, listHead, listQuery, money, number, open, pager, put } from "./passbook-kit.js";

function cardTable(cards) {
  return table(
    [
      { label: _("Card number"), cell: (c) => c.card_number },
      { label: _("Issued"), cell: (c) => date(c.issued_on) },
      { label: _("Reason"), cell: (c) => c.reason_label },
      { label: _("Status"), cell: (c) => c.status_label + (c.reported_lost_on ? ` (${date(c.reported_lost_on)})` : "") },
    ],
    cards
  );
}

function premiumTable(rows) {
  return table(
    [
      { label: _("Month"), cell: (p) => month(p.month.slice(0, 7)) },
      { label: _("Insurance unit"), cell: (p) => p.unit.name },
      { label: _("Insured salary"), cell: (p) => money(p.insured_salary) },
      { label: _("Rate"), cell: (p) => `${p.rate_percent}% × ${p.share_pct}%` },
      { label: _("People billed"), cell: (p) => number(p.people_billed) },
      { label: _("Premium"), cell: (p) => money(p.amount) },
    ],
    rows
  );
}

function paymentTable(rows) {
  return table(
    [
      { label: _("Paid on"), cell: (p) => date(p.paid_on) },
      { label: _("For the month"), cell: (p) => month(p.month.slice(0, 7)) },
      { label: _("Amount"), cell: (p) => money(p.amount) },
      { label: _("How"), cell: (p) => p.method_label },
    ],
    rows
  );
}

async function insurance(view, { pid }) {
  if (!(await open(view, pid, _("Insurance status")))) return;
  const data = await api.get(`passbook/${pid}/insurance`);
  if (!view.alive()) return;
  const ins = data.insurance;
  const parts = [
    h("p", { class: "status-big" }, ins.status_label),
    ins.current
      ? facts([
          [_("Insurance unit"), ins.current.unit.name],
          [_("Category"), ins.current.category_label],
          [_("Role"), `${ins.current.role_label} · ${ins.current.relationship_label}`],
          [_("Since"), date(ins.current.started_on)],
          [_("Insured salary"), money(ins.insured_salary)],
        ])
      : null,
  ];
  if (ins.premium) {
    parts.push(h("h2", {}, _("How the premium is counted")), h("p", {}, ins.premium.plain), h("p", { class: "formula" }, ins.premium.formula), ins.premium.dependents_note ? h("p", {}, ins.premium.dependents_note) : null);
  }
  if (ins.premium_note) parts.push(h("p", {}, ins.premium_note));
  parts.push(
    h("h2", {}, _("Enrolment history")),
    ins.enrolments.length
      ? table(
          [
            { label: _("Insured period"), cell: (e) => (e.ended_on ? dateRange(e.started_on, e.ended_on) : format(_("%(date)s to now"), { date: date(e.started_on) })) },
            { label: _("Insurance unit"), cell: (e) => e.unit.name },
            { label: _("Category"), cell: (e) => e.category_label },
            { label: _("Role"), cell: (e) => `${e.role_label} · ${e.relationship_label}` },
          ],
          ins.enrolments
        )
      : empty()
  );
  if (data.card_status) {
    parts.push(h("h2", {}, _("NHI card")), h("p", {}, data.card_status.status_label), link(`/passbook/${pid}/insurance/cards`, _("Card records")));
  }
  if (data.premiums) {
    parts.push(h("h2", {}, _("Premiums")), data.premiums.length ? premiumTable(data.premiums) : empty(), link(`/passbook/${pid}/insurance/premiums`, _("All premiums")));
  }
  if (data.payments) {
    parts.push(h("h2", {}, _("Payments")), data.payments.length ? paymentTable(data.payments) : empty(), link(`/passbook/${pid}/insurance/payments`, _("All payments")));
  }
  put(view, ...parts);
}

function simpleList(endpoint, title, key, render, sorts, filters = []) {
  return async (view, { pid }, query) => {
    if (!(await open(view, pid, title(), endpoint.startsWith("insurance/") ? `/passbook/${pid}/insurance` : undefined))) return;
    const base = `/passbook/${pid}/${endpoint}`;
    const data = await api.get(`passbook/${pid}/${endpoint}`, listQuery(query, filters));
    if (!view.alive()) return;
    put(view, 
      ...(render.before ? [render.before(data)] : []),
      listHead(base, query, data.page, sorts()),
      data[key].length ? render(data[key]) : empty(),
      pager(base, query, data.page)
    );
  };
}

const cardsScreen = Object.assign((rows) => cardTable(rows), {
  before: (data) => h("p", { class: "status-big" }, data.card_status.status_label),
});

function vaccinationTable(rows) {
  return table(
    [
      { label: _("Date"), cell: (v) => date(v.date) },
      { label: _("Vaccine"), cell: (v) => `${v.name} (${v.code})` },
      { label: _("Where"), cell: (v) => v.institution.name },
    ],
    rows
  );
}

function allergyTable(rows) {
  return table(
    [
      { label: _("Uploaded"), cell: (a) => date(a.date) },
      { label: _("Allergen"), cell: (a) => (a.drug ? `${a.allergen} · ${a.drug.name}` : a.allergen) },
      { label: _("Reaction"), cell: (a) => a.reaction },
      { label: _("Institution"), cell: (a) => [a.institution.name, a.institution.phone].filter(Boolean).join(" · ") },
    ],
    rows
  );
}

const wishScreen = Object.assign(
  (rows) =>
    table(
      [
        { label: _("Wish"), cell: (w) => w.kind_label },
        { label: _("Signed"), cell: (w) => date(w.signed_on) },
        { label: _("Registered"), cell: (w) => date(w.registered_on) },
        { label: _("In force"), cell: (w) => (w.in_force ? _("Yes") : format_withdrawn(w)) },
      ],
      rows
    ),
  {
    before: (data) =>
      h(
        "ul",
        { class: "plain-list" },
        Object.values(data.now || {}).map((n) =>
          h("li", {}, h("strong", {}, n.kind_label), _(": "), n.registered ? `${_("Registered")} ${date(n.registered_on)}` : _("Not registered"))
        )
      ),
  }
);

function format_withdrawn(w) {
  return w.withdrawn_on ? `${_("Withdrawn")} ${date(w.withdrawn_on)}` : _("No");
}

register("/passbook/:pid/insurance", insurance);
register(
  "/passbook/:pid/insurance/cards",
  simpleList("insurance/cards", () => _("Card records"), "cards", cardsScreen, () => [["-issued", _("Newest first")], ["issued", _("Oldest first")]])
);
register(
  "/passbook/:pid/insurance/premiums",
  simpleList("insurance/premiums", () => _("Premiums"), "premiums", premiumTable, () => [
    ["-month", _("Newest first")],
    ["month", _("Oldest first")],
    ["-amount", _("Amount, highest first")],
    ["unit", _("Insurance unit")],
  ])
);
register(
  "/passbook/:pid/insurance/payments",
  simpleList(
    "insurance/payments",
    () => _("Payments"),
    "payments",
    paymentTable,
    () => [
      ["-paid", _("Newest first")],
      ["paid", _("Oldest first")],
      ["-month", _("By month billed")],
      ["-amount", _("Amount, highest first")],
    ],
    ["method"]
  )
);
register(
  "/passbook/:pid/vaccinations",
  simpleList("vaccinations", () => _("Vaccinations"), "vaccinations", vaccinationTable, () => [
    ["-date", _("Newest first")],
    ["date", _("Oldest first")],
    ["name", _("Vaccine")],
  ], ["code"])
);
register(
  "/passbook/:pid/allergies",
  simpleList("allergies", () => _("Allergies"), "allergies", allergyTable, () => [
    ["-date", _("Newest first")],
    ["date", _("Oldest first")],
    ["allergen", _("Allergen")],
    ["institution", _("Institution")],
  ])
);
register(
  "/passbook/:pid/wishes",
  simpleList("wishes", () => _("Organ donation and hospice care wishes"), "wishes", wishScreen, () => [
    ["-registered", _("Newest first")],
    ["registered", _("Oldest first")],
    ["kind", _("Kind")],
  ])
);
