"""Measurements and reminders (SPEC §6.2), and the app's data request (SPEC §6.3).

Reminder dates come only from the pure rules of ``healthbank.assessments.reminders`` applied to the person's
own records; each category is opened (checked and logged) before it is read, and one that the reader may not
read gives no reminder.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from healthbank import policy
from healthbank.assessments import body
from healthbank.assessments import reminders as rules
from healthbank.assessments.dates import age_on, birthday
from healthbank.core import display
from healthbank.core.categories import DataCategory
from healthbank.core.outage import OUTAGE_EXCEPTIONS
from healthbank.identity.models import Enrolment, NhiCard, Person
from healthbank.insurance.models import PremiumCalculation, PremiumPayment
from healthbank.records import models as records

from ..models import MEASURED_VALUES, HealthNews, Measurement
from ..viewing import Viewing
from .common import Category, diagnosis, institution_name, open_category

logger = logging.getLogger(__name__)

BMI_LABELS = {
    "underweight": gettext_lazy("Underweight"),
    "normal": gettext_lazy("Normal weight"),
    "overweight": gettext_lazy("Overweight"),
    "obese_mild": gettext_lazy("Mild obesity"),
    "obese_moderate": gettext_lazy("Moderate obesity"),
    "obese_severe": gettext_lazy("Severe obesity"),
}
DECIMAL_VALUES = ("height_cm", "weight_kg", "waist_cm")
OUTPATIENT_KINDS = (records.Visit.Kind.WESTERN, records.Visit.Kind.PHARMACY, records.Visit.Kind.PREVENTIVE)


def _number(value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    return value


# ---------------------------------------------------------------- measurements


def measurement_row(m: Measurement) -> dict:
    return {
        "id": str(m.pk),
        "date": m.measured_on,
        **{name: _number(getattr(m, name)) for name in MEASURED_VALUES},
        "entered_by": m.entered_by,
        "bmi": None,
        "bmi_category": None,
        "bmi_category_label": "",
        "abdominal_obesity": None,
    }


def _assess(rows: list[dict], viewing: Viewing) -> None:
    """BMI (with the latest height on or before the day when that day has none) and waist, row by row."""
    person = viewing.person
    height = None
    for row in reversed(rows):  # oldest first
        if row["height_cm"] is not None:
            height = row["height_cm"]
        if row["weight_kg"] is not None and height is not None:
            value = body.bmi(Decimal(str(height)), Decimal(str(row["weight_kg"])))
            row["bmi"] = float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
            if age_on(person.birth_date, row["date"]) >= policy.BMI_ADULT_FROM_AGE:
                row["bmi_category"] = body.bmi_category(value)
                row["bmi_category_label"] = str(BMI_LABELS[row["bmi_category"]])
        if row["waist_cm"] is not None and person.sex in policy.WAIST_ABDOMINAL_OBESITY_CM:
            row["abdominal_obesity"] = body.abdominal_obesity(person.sex, Decimal(str(row["waist_cm"])))


def measurements(viewing: Viewing) -> list[dict]:
    """Every measurement of the person, newest first, with BMI and its category (one query)."""
    open_category(viewing, Category.MEASUREMENTS)
    found = Measurement.objects.filter(person=viewing.person).order_by("-measured_on", "-created_at")
    rows = [measurement_row(m) for m in found]
    with translation.override(viewing.language):
        _assess(rows, viewing)
    return rows


def latest_values(rows: list[dict]) -> dict[str, dict]:
    """For each value (and BMI) the newest one measured and its date."""
    latest = {}
    for name in (*MEASURED_VALUES, "bmi"):
        for row in rows:
            if row[name] is not None:
                latest[name] = {"value": row[name], "date": row["date"]}
                if name == "bmi":
                    latest[name]["category"] = row["bmi_category"]
                    latest[name]["category_label"] = row["bmi_category_label"]
                if name == "waist_cm":
                    latest[name]["abdominal_obesity"] = row["abdominal_obesity"]
                break
    return latest


def _series(rows, name: str, label) -> dict:
    return {"label": str(label), "points": [{"x": r["date"].isoformat(), "y": r[name]} for r in rows if r[name]]}


def measurement_charts(rows: list[dict], viewing: Viewing) -> list[dict]:
    """Line charts of weight and BMI, blood pressure and fasting glucose (oldest first), each with its rows."""
    oldest_first = list(reversed(rows))
    x_labels = {r["date"].isoformat(): display.format_date(r["date"], viewing.language) for r in oldest_first}
    specs = [
        ("weight", _("Weight and BMI"), "", (("weight_kg", _("Weight (kg)")), ("bmi", _("BMI (kg/m²)"))), None),
        (
            "pressure",
            _("Blood pressure"),
            "mmHg",
            (("systolic", _("Systolic")), ("diastolic", _("Diastolic"))),
            None,
        ),
        (
            "glucose",
            _("Fasting glucose"),
            "mg/dL",
            (("fasting_glucose", _("Fasting glucose")),),
            {"low": None, "high": policy.METABOLIC_FASTING_GLUCOSE - 1, "label": _("Below 100 mg/dL")},
        ),
    ]
    charts = []
    with translation.override(viewing.language):
        for key, title, unit, series, reference in specs:
            names = [name for name, _label in series]
            table = [r for r in oldest_first if any(r[n] is not None for n in names)]
            if not table:
                continue
            chart = {
                "type": "line",
                "title": str(title),
                "unit": unit,
                "series": [_series(oldest_first, name, label) for name, label in series],
                "x_labels": {k: v for k, v in x_labels.items() if any(r["date"].isoformat() == k for r in table)},
            }
            if reference:
                chart["reference"] = {k: str(v) if k == "label" else v for k, v in reference.items()}
            first, last = table[0], table[-1]
            chart["summary"] = _("%(count)s measurements from %(first)s to %(last)s") % {
                "count": len(table),
                "first": display.format_date(first["date"], viewing.language),
                "last": display.format_date(last["date"], viewing.language),
            }
            charts.append(
                {
                    "key": key,
                    "chart": chart,
                    "columns": [str(label) for _name, label in series],
                    "rows": [{"date": r["date"], "values": [r[n] for n in names]} for r in table],
                }
            )
    return charts


# ---------------------------------------------------------------- reminders


@dataclass(frozen=True)
class Reminder:
    key: str  # stable across days: what the reminder is about, not its date
    kind: str  # dental_scaling, refill, return_visit, preventive_check, hepatitis_screen
    start: dt.date
    end: dt.date | None  # a window's last day; None for "from this day on"
    what: str
    why: str

    def days(self) -> tuple[dt.date, ...]:
        return (self.start,) if self.end is None or self.end == self.start else (self.start, self.end)

    def as_dict(self, viewing: Viewing) -> dict:
        """JSON-safe: ISO dates, and the dates as the page writes them."""
        when = display.format_date(self.start, viewing.language)
        if self.end is not None and self.end != self.start:
            when = f"{when}~{display.format_date(self.end, viewing.language)}"
        return {
            "id": self.key,
            "kind": self.kind,
            "date": self.start.isoformat(),
            "until": self.end.isoformat() if self.end else None,
            "when": when,
            "what": self.what,
            "why": self.why,
        }


def _key(viewing: Viewing, *parts) -> str:
    """A stable id of one reminder of one person (the .ics UID): the same every day until its record changes."""
    return str(
        uuid.uuid5(uuid.NAMESPACE_URL, "/".join(["healthbank-reminder", str(viewing.person.pk), *map(str, parts)]))
    )


def reminder_facts(viewing: Viewing) -> dict:
    """What the reminders start from, in one query: the last scaling, diabetes, the last preventive check.

    Only what the reader may read is asked (each category opened first); the answer is kept on the viewing,
    so a page that shows the reminders twice asks once. The number of queries never depends on the records.
    """
    if "reminder_facts" in viewing.cache:
        return viewing.cache["reminder_facts"]
    person = OuterRef("pk")
    asked: dict = {}
    if viewing.can(Category.DENTAL):
        open_category(viewing, Category.DENTAL)
        asked["last_scaling"] = Subquery(
            records.NonDrugOrder.objects.filter(
                person=person,
                payment_code__in=policy.DENTAL_SCALING_PAYMENT_CODES,
                visit__kind=records.Visit.Kind.DENTAL,
            )
            .order_by("-visit__visit_date")
            .values("visit__visit_date")[:1]
        )
    if viewing.can(Category.OUTPATIENT):
        open_category(viewing, Category.OUTPATIENT)
        icd = Q()
        for prefix in policy.DIABETES_ICD10_PREFIXES:
            icd |= Q(icd10__startswith=prefix)
        asked["diabetes_diagnosis"] = Exists(
            records.VisitDiagnosis.objects.filter(icd, person=person, visit__kind__in=OUTPATIENT_KINDS)
        )
    if viewing.can(Category.DIABETES):
        open_category(viewing, Category.DIABETES)
        asked["diabetes_programme"] = Exists(
            records.FollowUp.objects.filter(person=person, program=records.FollowUp.Program.DIABETES)
        )
    if viewing.can(Category.PREVENTIVE_CARE):
        open_category(viewing, Category.PREVENTIVE_CARE)
        checks = records.PreventiveCheck.objects.filter(person=person)
        asked["last_check"] = Subquery(checks.order_by("-checked_on").values("checked_on")[:1])
        asked["screened"] = Exists(checks.filter(~Q(hbsag="") | ~Q(anti_hcv="")))
    facts = Person.objects.filter(pk=viewing.person.pk).values(**asked).get() if asked else {}
    viewing.cache["reminder_facts"] = facts
    return facts


def has_diabetes(viewing: Viewing) -> bool:
    """A diabetes diagnosis on an outpatient visit, or a record of the NHI's diabetes care programme."""
    facts = reminder_facts(viewing)
    return bool(facts.get("diabetes_diagnosis") or facts.get("diabetes_programme"))


def last_dental_scaling(viewing: Viewing) -> dt.date | None:
    return reminder_facts(viewing).get("last_scaling")


def _dental(viewing: Viewing) -> list[Reminder]:
    if not viewing.can(Category.DENTAL):
        return []
    open_category(viewing, Category.DENTAL)
    person = viewing.person
    last = last_dental_scaling(viewing)
    high_risk = has_diabetes(viewing)
    day = rules.next_dental_scaling(person.birth_date, last, viewing.today, high_risk=high_risk)
    interval = policy.DENTAL_SCALING_INTERVAL_HIGH_RISK if high_risk else policy.DENTAL_SCALING_INTERVAL
    if high_risk:
        why = _("With diabetes the NHI covers a dental scaling every %(days)s days.")
    else:
        why = _("The NHI covers a dental scaling from age %(age)s once every %(days)s days.")
    why = why % {"days": interval.days, "age": policy.DENTAL_SCALING_FROM_AGE}
    if last is not None:
        why += " " + _("Your last scaling was on %(date)s.") % {"date": display.format_date(last, viewing.language)}
    return [Reminder(_key(viewing, "dental-scaling"), "dental_scaling", day, None, _("Dental scaling"), why)]


def current_prescriptions(viewing: Viewing) -> list[records.ChronicPrescription]:
    """The newest chronic continuous prescription of each diagnosis still running today, with its refills."""
    longest = dt.timedelta(days=policy.CHRONIC_PRESCRIPTION_MAX_TOTAL_DAYS)
    found = (
        records.ChronicPrescription.objects.filter(person=viewing.person, prescribed_on__gt=viewing.today - longest)
        .select_related("institution")
        .annotate(refill_count=Count("refills"), last_refill=Max("refills__visit_date"))
        .order_by("-prescribed_on", "-pk")
    )
    newest = {}
    for rx in found:
        newest.setdefault(rx.icd10, rx)
    return list(newest.values())


def _chronic(viewing: Viewing) -> list[Reminder]:
    if not viewing.can(Category.OUTPATIENT):
        return []
    open_category(viewing, Category.OUTPATIENT)
    found = []
    for rx in current_prescriptions(viewing):
        disease = diagnosis(rx.icd10, viewing)
        about = {
            "disease": disease["name"] or disease["code"],
            "institution": institution_name(rx.institution, viewing),
        }
        try:
            back_from, back_until = rules.return_visit_window(rx.prescribed_on, rx.days_per_fill, rx.fills)
        except ValueError:
            continue  # a prescription outside the rules (as sent): no reminder rather than a wrong one
        dispensed = 1 + rx.refill_count
        if dispensed < rx.fills:
            last = rx.last_refill or rx.prescribed_on
            try:
                start, end = rules.refill_window(last, rx.days_per_fill)
            except ValueError:
                start = end = None
            if end is not None and end >= viewing.today:
                found.append(
                    Reminder(
                        _key(viewing, "refill", rx.pk, dispensed + 1),
                        "refill",
                        start,
                        end,
                        _("Collect refill %(n)s of %(fills)s: %(disease)s (%(institution)s)")
                        % {**about, "n": dispensed + 1, "fills": rx.fills},
                        _(
                            "A refill of a chronic continuous prescription may be collected from %(early)s days "
                            "before the previous %(days)s days' supply runs out (last dispensed on %(last)s)."
                        )
                        % {
                            "early": policy.CHRONIC_REFILL_EARLY_DAYS,
                            "days": rx.days_per_fill,
                            "last": display.format_date(last, viewing.language),
                        },
                    )
                )
        if back_until >= viewing.today:
            found.append(
                Reminder(
                    _key(viewing, "return-visit", rx.pk),
                    "return_visit",
                    back_from,
                    back_until,
                    _("Suggested return visit: %(disease)s (%(institution)s)") % about,
                    _(
                        "The prescription of %(date)s covers %(fills)s fills of %(days)s days; see the doctor again "
                        "before the last one runs out."
                    )
                    % {
                        "date": display.format_date(rx.prescribed_on, viewing.language),
                        "fills": rx.fills,
                        "days": rx.days_per_fill,
                    },
                )
            )
    return found


def preventive_history(viewing: Viewing) -> dict:
    facts = reminder_facts(viewing)
    return {"last": facts.get("last_check"), "screened": 1 if facts.get("screened") else 0}


def _preventive(viewing: Viewing) -> list[Reminder]:
    if not viewing.can(Category.PREVENTIVE_CARE):
        return []
    person = viewing.person
    open_category(viewing, Category.PREVENTIVE_CARE)
    history = preventive_history(viewing)
    first_age = policy.PREVENTIVE_CARE_INTERVALS[0][0]
    if age_on(person.birth_date, viewing.today) < first_age - 1:
        return []  # adults' care: no reminder decades ahead
    found = []
    day = rules.next_preventive_check(
        person.birth_date,
        history["last"],
        viewing.today,
        indigenous=person.is_indigenous,
        polio_survivor=person.is_polio_survivor,
    )
    (age1, every1), (age2, every2), (age3, _every3) = policy.PREVENTIVE_CARE_INTERVALS
    why = _(
        "Adult preventive care is covered from age %(age1)s every %(every1)s years, from %(age2)s every %(every2)s "
        "years and from %(age3)s every year (indigenous people from %(indigenous)s and polio survivors from "
        "%(polio)s every year)."
    ) % {
        "age1": age1,
        "every1": every1,
        "age2": age2,
        "every2": every2,
        "age3": age3,
        "indigenous": policy.PREVENTIVE_CARE_INDIGENOUS_YEARLY_FROM,
        "polio": policy.PREVENTIVE_CARE_POLIO_YEARLY_FROM,
    }
    if history["last"] is not None:
        why += " " + _("Your last check was on %(date)s.") % {
            "date": display.format_date(history["last"], viewing.language)
        }
    found.append(
        Reminder(_key(viewing, "preventive-check"), "preventive_check", day, None, _("Adult preventive check"), why)
    )
    if rules.hepatitis_screen_eligible(person.birth_date, viewing.today, bool(history["screened"])):
        until = birthday(person.birth_date, policy.HEPATITIS_SCREEN_MAX_AGE + 1) - dt.timedelta(days=1)
        found.append(
            Reminder(
                _key(viewing, "hepatitis-screen"),
                "hepatitis_screen",
                viewing.today,
                until,
                _("One-off hepatitis B and C screen"),
                _("Everyone born in %(year)s or before may have it once, up to age %(age)s.")
                % {"year": policy.HEPATITIS_SCREEN_BORN_BY_YEAR, "age": policy.HEPATITIS_SCREEN_MAX_AGE},
            )
        )
    return found


def reminders(viewing: Viewing) -> list[Reminder]:
    """Every reminder of the person the reader may see, by date (SPEC §6.2, rules of §7.1)."""
    with translation.override(viewing.language):
        found = _dental(viewing) + _chronic(viewing) + _preventive(viewing)
    return sorted(found, key=lambda r: (r.start, r.end or r.start, r.kind, r.key))


def related_links(viewing: Viewing) -> list[dict]:
    """Links to the allergies, care wishes and refills pages, once those pages exist and the reader may see them."""
    links = []
    with translation.override(viewing.language):
        for name, label, category in (
            ("allergies", _("Allergies"), Category.ALLERGIES),
            ("wishes", _("Organ-donation and hospice wishes"), Category.CARE_WISHES),
            ("refills", _("Refill records"), Category.OUTPATIENT),
        ):
            if not viewing.can(category):
                continue
            try:
                url = reverse(f"passbook:{name}", args=[viewing.person.pk])
            except NoReverseMatch:
                continue
            links.append({"name": name, "label": label, "url": url})
    return links


# ---------------------------------------------------------------- health news


def news(viewing: Viewing) -> list[dict]:
    """The newest published items (at most ``policy.HOME_NEWS_SHOWN``) in the viewing's language, or the other.

    The same for everyone: kept in the cache for ``policy.HOME_NEWS_CACHED_FOR`` (an edit shows within it).
    """
    key = f"passbook:news:{viewing.language}:{viewing.today.isoformat()}"
    try:
        return cache.get_or_set(key, lambda: _news(viewing), int(policy.HOME_NEWS_CACHED_FOR.total_seconds()))
    except OUTAGE_EXCEPTIONS as exc:
        if isinstance(exc, DatabaseError):
            raise
        # The cache is away: the news is the same for everyone and cheap to read, so the two busiest pages (the
        # passbook home and the app summary) stay up rather than answer 503 for it.
        logger.warning("health news read without the cache: %s", type(exc).__name__)
        return _news(viewing)


def _news(viewing: Viewing) -> list[dict]:
    items = HealthNews.objects.filter(is_published=True, published_on__lte=viewing.today).order_by(
        "-published_on", "-pk"
    )[: policy.HOME_NEWS_SHOWN]
    return [
        {
            "title": item.title_in(viewing.language),
            "body": item.body_in(viewing.language),
            "published_on": item.published_on,
        }
        for item in items
    ]


# ---------------------------------------------------------------- the app's data request (§6.3)


def _visits(*kinds):
    return lambda person: records.Visit.objects.filter(person=person, kind__in=kinds)


def _by_person(model, **where):
    return lambda person: model.objects.filter(person=person, **where)


_V = records.Visit.Kind
DATA_OF_CATEGORY = {
    DataCategory.INSURANCE: _by_person(Enrolment),
    DataCategory.CARDS: _by_person(NhiCard),
    DataCategory.PREMIUM_CALCULATIONS: _by_person(PremiumCalculation),
    DataCategory.PREMIUM_PAYMENTS: _by_person(PremiumPayment),
    DataCategory.OUTPATIENT: _visits(*OUTPATIENT_KINDS),
    DataCategory.INPATIENT: _visits(_V.INPATIENT),
    DataCategory.DENTAL: _visits(_V.DENTAL),
    DataCategory.CHINESE_MEDICINE: _visits(_V.CHINESE),
    DataCategory.LABS: _by_person(records.LabResult),
    DataCategory.IMAGING_PATHOLOGY: _by_person(
        records.Report, kind__in=(records.Report.Kind.IMAGING, records.Report.Kind.PATHOLOGY)
    ),
    DataCategory.DISCHARGE_SUMMARIES: _by_person(records.Report, kind=records.Report.Kind.DISCHARGE),
    DataCategory.ALLERGIES: _by_person(records.Allergy),
    DataCategory.CARE_WISHES: _by_person(records.CareWish),
    DataCategory.VACCINATIONS: _by_person(records.Vaccination),
    DataCategory.PREVENTIVE_CARE: _by_person(records.PreventiveCheck),
    DataCategory.CANCER_SCREENING: _by_person(records.CancerScreening),
    DataCategory.DIABETES: _by_person(records.FollowUp, program=records.FollowUp.Program.DIABETES),
    DataCategory.CKD_EARLY: _by_person(records.FollowUp, program=records.FollowUp.Program.CKD_EARLY),
    DataCategory.HEPATITIS: _by_person(
        records.FollowUp,
        program__in=(records.FollowUp.Program.HEPATITIS_B, records.FollowUp.Program.HEPATITIS_C),
    ),
    DataCategory.MEASUREMENTS: _by_person(Measurement),
}
BROWSE, NO_DATA = "browse", "no data"


def data_request(viewing: Viewing) -> dict:
    """SPEC §6.3: ready at once; for each category the reader may read, "browse" or "no data".

    One query in all: an EXISTS per readable category, selected together. Each category is opened (checked and,
    for another reader, logged) first.
    """
    readable = [c for c in DataCategory if viewing.can(c)]
    for category in readable:
        open_category(viewing, category)
    flags = {}
    if readable:
        from healthbank.identity.models import Person

        checks = {
            f"has_{category.value}": Exists(DATA_OF_CATEGORY[category](OuterRef("pk")).values("pk"))
            for category in readable
        }
        flags = Person.objects.filter(pk=viewing.person.pk).values(**checks).get()
    with translation.override(viewing.language):
        categories = [
            {
                "category": category.value,
                "label": str(category.label),
                "status": BROWSE if flags.get(f"has_{category.value}") else NO_DATA,
            }
            for category in readable
        ]
    return {"status": "ready", "person_id": str(viewing.person.pk), "categories": categories}
