"""Case progress and employer records in the demo (SPEC §10), sent through the ingestion API's own service.

A share of the loaded population gets what the NHIA and the hospitals would have sent about them:

- 重大傷病證明: people whose visits carry a catastrophic illness (cancer, end-stage renal disease, lupus,
  schizophrenia or bipolar disorder) applied for a certificate through the institution that diagnosed them;
  most were approved (cancer for five years, the others with no end), a few refused or still in review.
- 自墊醫療費用核退: adults treated abroad (Japan, mainland China, the United States ... by how Taiwanese travel)
  or in an emergency outside the NHI, claiming the costs back; most are partly approved at the NHI's own fees.
- 事前審查: the hepatitis-C antivirals and the hip and knee replacements hospitals asked the NHIA to approve.
- 減免補助 and 菸捐及公益彩券補助: township-office (category 6) insured people who are middle-to-low income
  (50 %) or middle-to-low-income elderly (in full), with their monthly premiums paid from the tobacco surcharge
  or the lottery; disability subsidies for people with a chronic psychiatric illness; a few unemployment ones.
- 投保金額申報: the enrolment report of every insured person's employer, union or farmers' association,
  matching the enrolment (unit, first day, insured salary).

Everything is planned from the seed and the day (the same seed gives the same cases) and sent with
``records.services.ingest``: the demo passes every ingestion rule. Running it again changes nothing: a re-send
of the same record is ``unchanged``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from healthbank.identity.models import Enrolment, Person
from healthbank.insurance.models import PremiumCalculation, ReimbursementCase
from healthbank.records.models import Agency, Institution, VisitDiagnosis
from healthbank.records.services import Sender, ingest

from .history import add_months

# Catastrophic illnesses the demo's diagnoses hold (ICD-10-CM prefix → years of validity, None: no end), after
# the NHI's list of catastrophic illnesses (重大傷病範圍): cancer certificates are reviewed after five years.
CATASTROPHIC = {"C": 5, "N18.6": None, "M32": None, "F20": None, "F31": None}
CATASTROPHIC_SHARE = 0.85  # of the people with such a diagnosis who applied
REIMBURSEMENT_SHARE = 0.04  # of adults, one claim each in the last three years
COUNTRIES = (("JP", 35), ("CN", 15), ("US", 12), ("KR", 8), ("TH", 8), ("VN", 6), ("HK", 6), ("SG", 5), ("GB", 3),
             ("AU", 2))  # fmt: skip
NEAR_POOR_SHARE = 0.12  # of township-office insured people of working age
NEAR_POOR_ELDERLY_SHARE = 0.2  # of township-office insured people of 70 and over
UNEMPLOYED_SHARE = 0.05
DISABILITY_SHARE = 0.4  # of people with schizophrenia or bipolar disorder
PRIOR_REVIEW = {  # diagnosis prefix → what the hospital asks the NHIA to approve
    "B18.2": ("drug", ("BC26096100", "BC17707100", "BC25715100", "BC15200100")),
    "M17": ("payment", ("64164B", "64169B")),
    "M16": ("payment", ("64162B",)),
}
PRIOR_REVIEW_SHARE = 0.2  # of the people with such a diagnosis
HOSPITALS = (Institution.Kind.MEDICAL_CENTER, Institution.Kind.REGIONAL_HOSPITAL, Institution.Kind.DISTRICT_HOSPITAL)
NOTES = {
    "documents": "請補附診斷書及收據正本",
    "refused_reimbursement": "非屬緊急傷病，不予核退",
    "partly": "依健保支付標準核退",
    "refused_certificate": "不符重大傷病認定基準",
    "refused_subsidy": "家庭總收入超過標準",
}


def add_cases(seed: int, today: dt.date) -> dict[str, int]:
    """Plan and send the cases and employer records of the loaded population; how many of each were sent."""
    rng = random.Random(f"cases-{seed}")
    people = {p.pk: p for p in Person.objects.all()}
    batches: dict[tuple[str, str], list[dict]] = defaultdict(list)
    _catastrophic(rng, today, people, batches)
    _reimbursements(rng, today, people, batches)
    _prior_reviews(rng, today, people, batches)
    _subsidies(rng, today, people, batches)
    _salary_reports(today, people, batches)
    sent: dict[str, int] = defaultdict(int)
    for (source, record_type), payloads in sorted(batches.items()):
        sender = (
            Sender.for_agency(source)
            if source == Agency.NHIA
            else Sender.for_institution(Institution.objects.get(code=source))
        )
        for start in range(0, len(payloads), 1000):
            outcomes = ingest(sender, record_type, payloads[start : start + 1000])
            rejected = [o for o in outcomes if not o.accepted]
            if rejected:
                raise RuntimeError(f"{record_type} from {source} rejected: {rejected[0].errors}")
            sent[record_type] += len(outcomes)
    return dict(sent)


def _progress(rng: random.Random, start: dt.date, today: dt.date, plan: list[tuple[str, int, str]]) -> list[dict]:
    """Steps from ``start`` after the planned gaps (days), up to today: a case still open stops where it is."""
    steps, day = [], start
    for step, gap, note in plan:
        day = day + dt.timedelta(days=gap)
        if day > today:
            break
        steps.append({"step": step, "on": day.isoformat()} | ({"note": note} if note else {}))
    return steps


def _decided(rng: random.Random, decision: str, note: str = "", *, documents: float = 0.25, paid: bool = False):
    plan = [("received", 0, "")]
    if rng.random() < documents:
        plan += [("documents_requested", rng.randint(5, 12), NOTES["documents"])]
        plan += [("documents_received", rng.randint(5, 20), "")]
    plan += [("under_review", rng.randint(2, 7), ""), (decision, rng.randint(7, 30), note)]
    if paid and decision != "refused":
        plan.append(("paid", rng.randint(7, 14), ""))
    return plan


def _first_diagnoses(prefixes) -> dict:
    """(person, prefix) → (first visit day, ICD-10 code, institution) of the first visit with that diagnosis."""
    found: dict = {}
    rows = (
        VisitDiagnosis.objects.filter(icd10__regex=r"^(" + "|".join(p.replace(".", r"\.") for p in prefixes) + ")")
        .values_list("person_id", "icd10", "visit__visit_date", "visit__institution_id")
        .order_by("visit__visit_date", "person_id", "icd10")
    )
    for person_id, code, day, institution_id in rows:
        prefix = next(p for p in prefixes if code.startswith(p))
        found.setdefault((person_id, prefix), (day, code, institution_id))
    return found


def _catastrophic(rng, today, people, batches) -> None:
    codes = dict(Institution.objects.values_list("pk", "code"))
    for (person_id, prefix), (day, code, institution_id) in sorted(_first_diagnoses(CATASTROPHIC).items()):
        if rng.random() > CATASTROPHIC_SHARE:
            continue
        applied = day + dt.timedelta(days=rng.randint(3, 30))
        if applied > today:
            continue
        decision = "refused" if rng.random() < 0.08 else "approved"
        note = NOTES["refused_certificate"] if decision == "refused" else ""
        steps = _progress(rng, applied, today, _decided(rng, decision, note))
        record = {
            "record_id": f"NHIA-C-{person_id.hex}-{prefix}",
            "national_id": people[person_id].national_id,
            "icd10": code,
            "institution": codes[institution_id],
            "applied_on": applied.isoformat(),
            "steps": steps,
        }
        if steps[-1]["step"] == "approved":
            years = CATASTROPHIC[prefix]
            record["valid_from"] = applied.isoformat()
            if years:
                record["valid_until"] = (add_months(applied, 12 * years) - dt.timedelta(days=1)).isoformat()
        batches[(Agency.NHIA, "catastrophic-illness")].append(record)


def _reimbursements(rng, today, people, batches) -> None:
    countries = [c for c, _ in COUNTRIES]
    weights = [w for _, w in COUNTRIES]
    for person in sorted(people.values(), key=lambda p: p.birth_date):
        if not 20 <= person.age_on(today) <= 80 or rng.random() > REIMBURSEMENT_SHARE:
            continue
        treated = today - dt.timedelta(days=rng.randint(10, 3 * 365))
        days = rng.randint(1, 6) if rng.random() < 0.2 else 0
        abroad = rng.random() < 0.9
        claimed = rng.randrange(3000, 90000, 100) * (3 if days else 1)
        applied = treated + dt.timedelta(days=days + rng.randint(7, 150))
        if applied > today:
            continue
        roll = rng.random()
        decision = "partly_approved" if roll < 0.7 else "approved" if roll < 0.85 else "refused"
        note = {"partly_approved": NOTES["partly"], "refused": NOTES["refused_reimbursement"]}.get(decision, "")
        steps = _progress(rng, applied, today, _decided(rng, decision, note, paid=True))
        record = {
            "record_id": f"NHIA-R-{person.pk.hex}",
            "national_id": person.national_id,
            "where": "abroad" if abroad else "taiwan",
            "country": rng.choices(countries, weights)[0] if abroad else "",
            "treated_from": treated.isoformat(),
            "applied_on": applied.isoformat(),
            "amount_claimed": claimed,
            "steps": steps,
        }
        if days:
            record["treated_until"] = (treated + dt.timedelta(days=days)).isoformat()
        reached = {s["step"] for s in steps}
        if "approved" in reached:
            record["amount_approved"] = claimed
        elif "partly_approved" in reached:
            record["amount_approved"] = int(claimed * rng.uniform(0.3, 0.8)) // 10 * 10
        batches[(Agency.NHIA, "reimbursements")].append(record)


def _prior_reviews(rng, today, people, batches) -> None:
    hospitals = {i.pk: i.code for i in Institution.objects.filter(kind__in=HOSPITALS)}
    if not hospitals:
        return
    fallback = sorted(hospitals.values())
    for (person_id, prefix), (day, _code, institution_id) in sorted(_first_diagnoses(PRIOR_REVIEW).items()):
        if rng.random() > PRIOR_REVIEW_SHARE:
            continue
        kind, items = PRIOR_REVIEW[prefix]
        hospital = hospitals.get(institution_id) or rng.choice(fallback)
        applied = day + dt.timedelta(days=rng.randint(7, 60))
        if applied > today:
            continue
        decision = rng.choices(["approved", "partly_approved", "refused"], [75, 10, 15])[0]
        steps = _progress(rng, applied, today, _decided(rng, decision, documents=0.15))
        item = rng.choice(items)
        batches[(hospital, "prior-reviews")].append(
            {
                "record_id": f"PR-{person_id.hex}-{prefix}",
                "national_id": people[person_id].national_id,
                "institution": hospital,
                "drug_code" if kind == "drug" else "payment_code": item,
                "applied_on": applied.isoformat(),
                "steps": steps,
            }
        )


def _subsidies(rng, today, people, batches) -> None:
    township = Enrolment.objects.filter(category=6, role=Enrolment.Role.INSURED, ended_on__isnull=True).order_by(
        "person_id"
    )
    premiums: dict = defaultdict(dict)
    for person_id, month, amount in PremiumCalculation.objects.filter(
        person_id__in=township.values("person_id")
    ).values_list("person_id", "month", "amount"):
        premiums[person_id][month] = amount
    for enrolment in township:
        person = people[enrolment.person_id]
        age = person.age_on(today)
        if age >= 70 and rng.random() < NEAR_POOR_ELDERLY_SHARE:
            kind, share, fund = "near_poor_elderly", 100, "lottery"
        elif 20 <= age < 65 and rng.random() < NEAR_POOR_SHARE:
            kind, share, fund = "near_poor", 50, "tobacco"
        elif 20 <= age < 65 and rng.random() < UNEMPLOYED_SHARE:
            kind, share, fund = "unemployed", 100, ""
        else:
            continue
        _subsidy_case(rng, today, person, kind, share, fund, premiums[person.pk], batches)
    psychiatric = _first_diagnoses(("F20", "F31"))
    for (person_id, _prefix), (_day, _code, _institution) in sorted(psychiatric.items()):
        if rng.random() < DISABILITY_SHARE and people[person_id].age_on(today) >= 18:
            _subsidy_case(rng, today, people[person_id], "disability", rng.choice((25, 50, 100)), "", {}, batches)


def _subsidy_case(rng, today, person, kind, share, fund, premiums, batches) -> None:
    applied = today - dt.timedelta(days=rng.randint(5, 3 * 365))
    applied = max(applied, person.birth_date)
    decision = "refused" if rng.random() < 0.1 else "approved"
    note = NOTES["refused_subsidy"] if decision == "refused" else ""
    steps = _progress(rng, applied, today, _decided(rng, decision, note))
    record = {
        "record_id": f"NHIA-S-{person.pk.hex}-{kind}",
        "national_id": person.national_id,
        "kind": kind,
        "applied_on": applied.isoformat(),
        "steps": steps,
    }
    if steps[-1]["step"] == "approved":
        start = add_months(dt.date.fromisoformat(steps[-1]["on"]).replace(day=1), 1)
        record["months_from"], record["share_pct"] = start.isoformat(), share
        if kind == "unemployed":
            record["months_until"] = add_months(start, rng.choice((5, 11))).isoformat()
        if fund:
            for month, amount in sorted(premiums.items()):
                if month >= start and month <= today:
                    batches[(Agency.NHIA, "welfare-subsidies")].append(
                        {
                            "record_id": f"NHIA-W-{person.pk.hex}-{month:%Y%m}",
                            "national_id": person.national_id,
                            "month": month.isoformat(),
                            "amount": max(1, amount * share // 100),
                            "fund": fund,
                        }
                    )
    batches[(Agency.NHIA, "subsidy-cases")].append(record)


def _salary_reports(today, people, batches) -> None:
    enrolments = (
        Enrolment.objects.filter(role=Enrolment.Role.INSURED, unit__kind__in=("employer", "union", "farmers"))
        .select_related("unit")
        .order_by("person_id", "started_on")
    )
    for enrolment in enrolments:
        if enrolment.started_on > today:
            continue
        reported = min(enrolment.started_on + dt.timedelta(days=3), today)
        batches[(Agency.NHIA, "salary-reports")].append(
            {
                "record_id": f"NHIA-P-{enrolment.pk.hex}",
                "national_id": people[enrolment.person_id].national_id,
                "unit": enrolment.unit.code,
                "reason": "enrolment",
                "reported_on": reported.isoformat(),
                "effective_on": enrolment.started_on.isoformat(),
                "insured_salary": enrolment.insured_salary,
            }
        )


def add_showcase_cases(people: list[Person], today: dt.date) -> None:
    """A demo login with no case yet gets a claim for treatment in Japan under review, so the page shows one."""
    rng = random.Random("cases-showcase")
    payloads = []
    for person in people:
        if ReimbursementCase.objects.filter(person=person).exists():
            continue
        treated = today - dt.timedelta(days=rng.randint(40, 90))
        applied = treated + dt.timedelta(days=rng.randint(10, 20))
        plan = [
            ("received", 0, ""),
            ("documents_requested", 6, NOTES["documents"]),
            ("documents_received", 8, ""),
            ("under_review", 3, ""),
        ]
        payloads.append(
            {
                "record_id": f"NHIA-R-{person.pk.hex}",
                "national_id": person.national_id,
                "where": "abroad",
                "country": "JP",
                "treated_from": treated.isoformat(),
                "applied_on": applied.isoformat(),
                "amount_claimed": rng.randrange(8000, 40000, 100),
                "steps": _progress(rng, applied, today, plan),
            }
        )
    if payloads:
        ingest(Sender.for_agency(Agency.NHIA), "reimbursements", payloads)
