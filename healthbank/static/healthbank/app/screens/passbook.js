/*
 * My Health Bank in the app (SPEC §6, §6.3): whose passbook (mine, or a child's under 15), "request today's
 * data" with each category's "browse" or "no data", and the category screens.
 */
import * as api from "../api.js";
import { _, date, go, register } from "../core.js";
import { busy, clear, h, link, notice } from "../ui.js";
import { passbooks as passbookList, whoseBar } from "./passbook-kit.js";
import "./passbook-care.js";
import "./passbook-health.js";
import "./passbook-insurance.js";

/** The app screen of each data category (its path under /passbook/<person id>/). */
export const CATEGORY_SCREENS = {
  insurance: "insurance",
  cards: "insurance/cards",
  premium_calculations: "insurance/premiums",
  premium_payments: "insurance/payments",
  outpatient: "outpatient",
  inpatient: "inpatient",
  dental: "dental",
  chinese_medicine: "chinese-medicine",
  labs: "labs",
  imaging_pathology: "reports",
  discharge_summaries: "inpatient",
  allergies: "allergies",
  care_wishes: "wishes",
  vaccinations: "vaccinations",
  preventive_care: "preventive",
  cancer_screening: "screening",
  diabetes: "follow-up",
  ckd_early: "follow-up",
  hepatitis: "follow-up",
  measurements: "measurements",
};

/** Screens that are not a category of "today's data" but views over several (SPEC §6.2). */
const MORE_SCREENS = () => [
  ["surgery", _("Surgery")],
  ["medication", _("Medication")],
  ["refills", _("Refill records")],
  ["risk", _("Risk assessments")],
  ["measurements", _("Measurements")],
  ["reminders", _("Reminders")],
];

async function passbooks(view) {
  view.title(_("My Health Bank"));
  const list = await passbookList({ fresh: true });
  if (!view.alive()) return;
  if (list.length === 1) {
    go(`/passbook/${list[0].person_id}`);
    return;
  }
  view.main.append(
    h("p", {}, _("Whose passbook do you want to open?")),
    h(
      "ul",
      { class: "choices" },
      list.map((p) =>
        h(
          "li",
          {},
          link(
            `/passbook/${p.person_id}`,
            h("strong", { lang: "zh-Hant-TW" }, p.name),
            h("span", {}, p.why === "self" ? _("My own passbook") : _("My child under 15"))
          )
        )
      )
    )
  );
}

async function overview(view, { pid }) {
  view.title(_("My Health Bank"));
  view.back("/passbook");
  const [summary, list] = await Promise.all([api.get(`passbook/${pid}/summary`), passbookList()]);
  if (!view.alive()) return;
  view.back(list.length > 1 ? "/passbook" : null);
  const categories = h("div", { id: "categories", "aria-live": "polite" });
  const request = h("button", { type: "button", class: "primary" }, _("Request today's data"));
  request.addEventListener("click", async () => {
    busy(request, true);
    clear(categories).append(h("p", { role: "status" }, _("Processing…")));
    try {
      const answer = await api.call("POST", `passbook/${pid}/data-request`);
      if (!view.alive()) return;
      clear(categories).append(
        h("p", { role: "status" }, _("Your data is ready.")),
        h(
          "ul",
          { class: "categories" },
          answer.categories.map((c) =>
            h(
              "li",
              {},
              h("span", {}, c.label),
              c.status === "browse" && CATEGORY_SCREENS[c.category]
                ? link(`/passbook/${pid}/${CATEGORY_SCREENS[c.category]}`, _("Browse"))
                : h("span", { class: "no-data" }, c.status === "browse" ? _("Browse on the website") : _("No data"))
            )
          )
        )
      );
    } catch (error) {
      clear(categories).append(notice("error", h("p", {}, error.text)));
    } finally {
      busy(request, false);
    }
  });
  const last = (label, visit) =>
    h(
      "div",
      { class: "last-visit" },
      h("h3", {}, label),
      visit
        ? h("p", {}, date(visit.date), " · ", visit.institution.name, visit.diagnosis ? " · " + visit.diagnosis.name : "")
        : h("p", {}, _("No visit in the last three years."))
    );
  view.main.append(
    whoseBar(pid, list.find((p) => p.person_id === pid), list.length > 1, { overview: true }),
    h("section", { "aria-labelledby": "last-visits" }, h("h2", { id: "last-visits" }, _("Last visits")),
      last(_("Western medicine"), summary.last_visits && summary.last_visits.western),
      last(_("Dental"), summary.last_visits && summary.last_visits.dental),
      last(_("Chinese medicine"), summary.last_visits && summary.last_visits.chinese)),
    h("section", { "aria-labelledby": "today" }, h("h2", { id: "today" }, _("Today's data")), request, categories),
    h(
      "section",
      { "aria-labelledby": "more" },
      h("h2", { id: "more" }, _("More in the passbook")),
      h("ul", { class: "menu" }, MORE_SCREENS().map(([path, label]) => h("li", {}, link(`/passbook/${pid}/${path}`, label))))
    )
  );
}

register("/passbook", passbooks);
register("/passbook/:pid", overview);
