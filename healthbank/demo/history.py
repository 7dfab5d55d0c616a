"""Three years of care for one planned person, as a Taiwanese doctor would expect to read it.

How often people of an age see a doctor, a dentist or a Chinese-medicine clinic and how
often they are admitted come from the NHI's statistics (``demo/data/utilisation.csv``);
why they come from the case mixes; which drugs they get from the indication table
(ICD-10-CM group → ATC classes); which operation a stay has, and whether its specimen
goes to pathology, from the stay table. Every rule number (refill windows, scaling
intervals, preventive-care ages and intervals, screening ages) is read from ``policy``.
Mixed into ``population.Planner``: it uses its random generator, clock and catalogues.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from collections import defaultdict
from typing import TYPE_CHECKING

from healthbank import policy
from healthbank.assessments.kidney import creatinine_for_egfr
from healthbank.core import codes

from . import reference

if TYPE_CHECKING:
    from .population import InstitutionPlan, PersonPlan

# Chronic conditions by age, 18–39 / 40–64 / 65+ (SOURCES.md: HPA NAHSIT and NHI figures, approximate).
CHRONIC_PREVALENCE = {
    "hypertension": (0.03, 0.22, 0.50),
    "diabetes": (0.01, 0.10, 0.24),
    "hyperlipidemia": (0.03, 0.20, 0.35),
    "ckd": (0.01, 0.05, 0.15),
    "copd": (0.0, 0.02, 0.06),
    "atrial_fibrillation": (0.0, 0.005, 0.04),
}
CHRONIC_DIAGNOSES = {
    "hypertension": ("I10",),
    "diabetes": ("E11.9", "E11.65", "E11.8"),
    "hyperlipidemia": ("E78.5", "E78.2", "E78.00"),
    "copd": ("J44.9",),
    "atrial_fibrillation": ("I48.91", "I48.20"),
    "hbv_treated": ("B18.1",),
}
HBV_CARRIERS = {"born_by_1986": 0.13, "born_later": 0.01}  # HBsAg-positive share by birth cohort
HCV_INFECTED = (0.003, 0.025, 0.04)  # anti-HCV positive, by age 18–39 / 40–64 / 65+
CONSULTATION = {  # (kind of institution, chronic continuous prescription?) → payment code
    ("clinic", False): "00109C",
    ("clinic", True): "00158C",
    ("district_hospital", False): "00101B",
    ("district_hospital", True): "00131B",
    ("regional_hospital", False): "00154A",
    ("regional_hospital", True): "00155A",
    ("medical_center", False): "00154A",
    ("medical_center", True): "00155A",
    ("health_center", False): "00109C",
    ("health_center", True): "00158C",
}
WARD = {"medical_center": ("03001K", "02006K"), "regional_hospital": ("03002A", "02007A")}
WARD_DISTRICT = ("03004B", "02008B")
DEPARTMENT_BY_SITE = {
    "eye": "10", "ear_nose_throat": "09", "kidney_urinary": "08", "reproductive": "05", "knee": "06", "hip": "06",
    "spine": "07", "head": "07", "arm": "06", "hand": "06", "leg": "06", "foot": "06", "shoulder": "06",
    "heart": "02",
}  # fmt: skip
# Where Taiwanese see their usual doctor: general (聯合診所), family medicine and internal medicine clinics;
# children a paediatrician or a family doctor. Other clinics see only their own specialty.
GENERAL_PRACTICE = ("00", "01", "02")
CHILDREN_PRACTICE = ("04", "00", "01")
PER_DAY = {"QD": 1, "BID": 2, "TID": 3, "QID": 4}
SOLID = ("tablet", "capsule")
CHILD_PREVENTIVE_CODES = ("71", "72", "73", "75", "76", "77", "79")  # the seven visits of the HPA schedule
PERMANENT = tuple(q * 10 + n for q in (1, 2, 3, 4) for n in range(1, 9))
PRIMARY = tuple(q * 10 + n for q in (5, 6, 7, 8) for n in range(1, 6))
FIRST_MOLARS = (16, 26, 36, 46)
WISDOM_TEETH = (18, 28, 38, 48)


def therapeutic_group(atc: str) -> str:
    """What one prescription holds one drug of: the ATC pharmacological group (M01A NSAIDs, C07A beta
    blockers, A02B acid suppressants), and all antibacterials (J01) as one."""
    return "J01" if atc.startswith("J01") else atc[:4]


def family_doctors(clinics: list, *, child: bool) -> list:
    """The county's clinics where a person (or a child) has a usual doctor; all clinics when it has none."""
    wanted = CHILDREN_PRACTICE if child else GENERAL_PRACTICE
    return [c for c in clinics if c.department in wanted] or clinics


class PersonContext:
    """Per-person constants that keep a person's labs and habits consistent over time."""

    def __init__(self, planner, person: PersonPlan):
        rng = planner.rng
        self.person = person
        self.age = person.age_on(planner.today)
        self.start = max(planner.history_start, person.cards[0].issued_on)
        self.years = max(0.0, (planner.yesterday - self.start).days / 365.25)
        self.use_of_care = rng.gammavariate(2.0, 0.5)  # some people see doctors far more than others (mean 1)
        self.ckd_egfr = rng.choice([75.0, 52.0, 38.0, 24.0])
        self.ckd_uacr = rng.choice([18.0, 90.0, 420.0])
        self.hbv_alt = rng.choice([18.0, 30.0, 55.0])
        self.hbv_hbeag = rng.random() < 0.2
        self.hbv_dna = rng.choice([150.0, 2400.0, 35000.0])
        self.clinic: InstitutionPlan | None = None  # the family doctor's clinic, once chosen


class ClinicalHistory:
    # -- who has what --------------------------------------------------
    def conditions(self, person: PersonPlan) -> tuple[str, ...]:
        age = person.age_on(self.today)
        band = 0 if age < 40 else 1 if age < 65 else 2
        found = [c for c, p in CHRONIC_PREVALENCE.items() if age >= 18 and self.rng.random() < p[band]]
        if "diabetes" in found and "ckd" not in found and self.rng.random() < 0.2:
            found.append("ckd")
        born_early = person.birth_date.year <= policy.HEPATITIS_SCREEN_BORN_BY_YEAR
        hbv = HBV_CARRIERS["born_by_1986" if born_early else "born_later"]
        if age >= 15 and self.rng.random() < hbv:
            found.append("hbv")
            if self.rng.random() < 0.3:
                found.append("hbv_treated")
        if age >= 18 and self.rng.random() < HCV_INFECTED[band]:
            found.append("hcv")
        return tuple(found)

    # -- plumbing ------------------------------------------------------
    def emit(self, source: str, record_type: str, payload: dict) -> None:
        self.batches[(source, record_type)].append(payload)

    def visit_days(self, ctx: PersonContext, per_year: float, start: dt.date | None = None) -> list[dt.date]:
        """Days of a Poisson process of ``per_year`` visits from ``start`` to yesterday."""
        days: list[dt.date] = []
        if per_year <= 0:
            return days
        day = start or ctx.start
        while True:
            day += dt.timedelta(days=_gap(self.rng.expovariate(per_year / 365.25), day, self.yesterday))
            if day > self.yesterday:
                return days
            days.append(day)

    def visit(self, ctx: PersonContext, institution: InstitutionPlan, kind: str, day: dt.date, **fields) -> dict:
        card = ctx.person.card_on(day)
        payload = {
            "record_id": self.record_id("V"),
            "national_id": ctx.person.national_id,
            "card_number": card.card_number,
            "institution": institution.code,
            "kind": kind,
            "visit_date": day.isoformat(),
            "card_sequence": f"{self.rng.randrange(1, 9999):04d}",
            **fields,
        }
        self.emit(institution.code, "visits", payload)
        return payload

    def lab(self, ctx: PersonContext, institution: InstitutionPlan, day: dt.date, key: str, value) -> None:
        test = codes.lab_test(key, ctx.person.sex)
        if test is None:
            return
        self.emit(
            institution.code,
            "lab-results",
            {
                "record_id": self.record_id("L"),
                "national_id": ctx.person.national_id,
                "institution": institution.code,
                "collected_on": day.isoformat(),
                "lab_key": key,
                "value": str(value),
                "unit": test.unit,
                "reference_range": test.ref_text,
            },
        )

    def follow_up(self, ctx: PersonContext, institution, day: dt.date, program: str, values: dict) -> None:
        self.emit(
            institution.code,
            "follow-ups",
            {
                "record_id": self.record_id("F"),
                "national_id": ctx.person.national_id,
                "institution": institution.code,
                "program": program,
                "measured_on": day.isoformat(),
                "values": {k: str(v) for k, v in values.items()},
            },
        )

    def report(self, ctx: PersonContext, institution, kind: str, day: dt.date, title: str, text: str, visit) -> None:
        self.emit(
            institution.code,
            "reports",
            {
                "record_id": self.record_id({"discharge": "D", "imaging": "I", "pathology": "Q"}[kind]),
                "national_id": ctx.person.national_id,
                "institution": institution.code,
                "kind": kind,
                "performed_on": day.isoformat(),
                "title": title[:200],
                "text": text,
                "visit_record_id": visit["record_id"],
            },
        )

    # -- drugs that fit the diagnosis ------------------------------------
    def drugs_with_prefix(self, prefix: str, *, injections: bool) -> list[codes.Drug]:
        key = (prefix, injections)
        if key not in self._drugs_by_prefix:
            self._drugs_by_prefix[key] = [
                d
                for d in self.drug_list
                if not d.herbal and d.atc_code.startswith(prefix) and (injections or d.form != "injection")
            ]
        return self._drugs_by_prefix[key]

    def prescription(self, diagnosis: str, *, classes: int = 3, injections: bool = False, days: int = 0) -> list:
        """Drug orders for a diagnosis: one drug from each of up to ``classes`` ATC classes that treat it."""
        indication = reference.indication_for(diagnosis)
        if indication is None:
            return []
        prefixes = [p for p in indication.atc_prefixes if self.drugs_with_prefix(p, injections=injections)]
        if not prefixes:
            return []
        chosen, groups = [], set()
        for prefix in self.rng.sample(prefixes, len(prefixes)):
            # One drug of a therapeutic group: one NSAID, one acid suppressant, one antibiotic.
            group = therapeutic_group(prefix)
            if group not in groups:
                chosen.append(prefix)
                groups.add(group)
        chosen = chosen[: self.rng.randint(1, min(classes, len(chosen)))]
        return [
            self.drug_order(self.rng.choice(self.drugs_with_prefix(p, injections=injections)), days or indication.days)
            for p in chosen
        ]

    def drug_order(self, drug: codes.Drug, days: int) -> dict:
        if drug.form in SOLID:
            frequency = "QD" if days >= 28 or drug.chronic else self.rng.choice(["TID", "TID", "BID"])
            quantity = PER_DAY[frequency] * days
        elif drug.form == "injection":  # vials or ampoules, one a dose
            frequency = "TID"
            quantity = PER_DAY[frequency] * days
        else:
            frequency = {"eye drops": "QID", "inhaler": "BID", "cream": "BID", "ointment": "BID"}.get(drug.form, "TID")
            quantity = 1
        return {"drug_code": drug.code, "days_supplied": days, "quantity": str(quantity), "frequency": frequency}

    def copayment(self, institution: InstitutionPlan) -> int:
        levels = policy.OUTPATIENT_COPAYMENT_BY_LEVEL
        return levels.get(institution.kind, levels["clinic"])  # other kinds bill like a clinic

    # -- the person's history --------------------------------------------
    def history(self, person: PersonPlan, inst: dict[str, list[InstitutionPlan]]) -> None:
        local = inst[person.county]
        by = defaultdict(list)
        for i in local:
            by[(i.kind, i.specialty)].append(i)
        hospitals = by[("regional_hospital", "western")] + by[("district_hospital", "western")]
        hospitals += by[("medical_center", "western")]
        clinics = by[("clinic", "western")]
        ctx = PersonContext(self, person)
        ctx.clinic = self.rng.choice(family_doctors(clinics, child=ctx.age < 15))
        if ctx.years <= 0:
            return
        chronic_per_year = 0.0
        if any(c in CHRONIC_DIAGNOSES or c == "ckd" for c in person.conditions):
            where = self.rng.choice(hospitals) if self.rng.random() < 0.4 else ctx.clinic
            chronic_per_year = self.chronic_care(ctx, where, by[("pharmacy", "pharmacy")])
        chronic_per_year += self.hepatitis_care(ctx, self.rng.choice(hospitals))
        self.acute_visits(ctx, clinics, hospitals, chronic_per_year)
        health_centres = by[("health_center", "western")]
        self.preventive(ctx, family_doctors(clinics, child=ctx.age < 15) + health_centres)
        self.dental(ctx, by[("clinic", "dental")])
        self.chinese_medicine(ctx, by[("clinic", "chinese")])
        self.inpatient(ctx, hospitals)
        self.vaccinations(ctx, health_centres + family_doctors(clinics, child=ctx.age < 15))
        if self.rng.random() < 0.08:
            self.allergies(ctx, self.rng.choice(clinics + hospitals))
        if ctx.age >= 20:
            self.wishes(ctx)

    def chronic_care(self, ctx: PersonContext, institution: InstitutionPlan, pharmacies: list) -> float:
        """Visits with a chronic continuous prescription (慢性病連續處方箋) and its refills at a pharmacy.

        Returns the doctor's visits a year it adds (they count towards the person's use of care).
        """
        person = ctx.person
        diagnoses = [self.rng.choice(CHRONIC_DIAGNOSES[c]) for c in person.conditions if c in CHRONIC_DIAGNOSES]
        if "ckd" in person.conditions:
            stage = next(s for s, low in policy.GFR_CATEGORIES if ctx.ckd_egfr >= low)
            diagnoses.append({"G2": "N18.2", "G3a": "N18.31", "G3b": "N18.32", "G4": "N18.4"}.get(stage, "N18.30"))
        drugs = []
        for code in diagnoses:
            # By mouth: a community pharmacy refills tablets, not pens or vials.
            drugs += self.prescription(code, classes=1, days=policy.CHRONIC_PRESCRIPTION_MAX_DAYS_PER_FILL)
        drugs = list({therapeutic_group(codes.drugs()[d["drug_code"]].atc_code): d for d in drugs}.values())
        fills = policy.CHRONIC_PRESCRIPTION_MAX_FILLS
        per_fill = policy.CHRONIC_PRESCRIPTION_MAX_DAYS_PER_FILL
        consult = CONSULTATION[(institution.kind, True)]
        adult = add_months(person.birth_date, 12 * 18)  # the chronic conditions are adults' (``conditions``)
        day = max(ctx.start, adult) + dt.timedelta(days=self.rng.randrange(0, 60))
        visits = 0
        while day <= self.yesterday:
            rx_id = self.record_id("RX")
            self.visit(
                ctx,
                institution,
                "western",
                day,
                department=institution.department if institution.department in ("01", "02") else "02",
                copayment=self.copayment(institution),
                points=self.rng.randrange(400, 2200),
                diagnoses=diagnoses,
                drug_orders=drugs,
                non_drug_orders=[{"payment_code": consult}],
                chronic_prescription={
                    "record_id": rx_id,
                    "days_per_fill": per_fill,
                    "fills": fills,
                    "icd10": diagnoses[0],
                },
            )
            visits += 1
            dispensed = day
            for refill in range(2, fills + 1):
                # SPEC §7.1: a refill may be collected from 10 days before the previous supply runs out.
                refill_day = dispensed + dt.timedelta(
                    days=per_fill - self.rng.randint(0, policy.CHRONIC_REFILL_EARLY_DAYS)
                )
                if refill_day > self.yesterday or not pharmacies:
                    break
                self.visit(
                    ctx,
                    self.rng.choice(pharmacies),
                    "pharmacy",
                    refill_day,
                    points=self.rng.randrange(200, 1500),
                    diagnoses=diagnoses,
                    drug_orders=drugs,
                    non_drug_orders=[{"payment_code": "05210B"}],
                    refill_of={"institution": institution.code, "record_id": rx_id, "refill_number": refill},
                )
                dispensed = refill_day
            self.chronic_labs(ctx, institution, day)
            day = dispensed + dt.timedelta(days=per_fill - self.rng.randint(0, policy.CHRONIC_REFILL_EARLY_DAYS))
        return visits / ctx.years

    def chronic_labs(self, ctx: PersonContext, institution: InstitutionPlan, day: dt.date) -> None:
        conditions = ctx.person.conditions
        age = ctx.person.age_on(day)
        followups: dict[str, dict[str, object]] = defaultdict(dict)
        if "diabetes" in conditions:
            hba1c = max(4.5, round(self.rng.gauss(7.4, 0.9), 1))
            self.lab(ctx, institution, day, "hba1c", hba1c)
            self.lab(ctx, institution, day, "glucose_fasting", max(60, round(self.rng.gauss(145, 30))))
            followups["diabetes"]["hba1c"] = hba1c
        if ("diabetes" in conditions or "hyperlipidemia" in conditions) and day.month % 6 < 3:
            # Clamped like the other values: a value is never below what a body has (and the follow-up schema refuses a
            # negative one); a draw of 4 standard deviations down happens among a quarter of a million people.
            ldl = max(40, round(self.rng.gauss(115, 28)))
            self.lab(ctx, institution, day, "cholesterol_total", ldl + round(self.rng.gauss(70, 15)))
            self.lab(ctx, institution, day, "triglycerides", max(40, round(self.rng.gauss(150, 60))))
            self.lab(ctx, institution, day, "hdl", max(20, round(self.rng.gauss(48, 10))))
            self.lab(ctx, institution, day, "ldl", ldl)
            if "diabetes" in conditions:
                followups["diabetes"]["ldl"] = ldl
        if "ckd" in conditions:
            egfr = max(8.0, self.rng.gauss(ctx.ckd_egfr, 4))
            creatinine = round(creatinine_for_egfr(egfr, age, ctx.person.sex), 2)
            uacr = max(5, round(self.rng.gauss(ctx.ckd_uacr, ctx.ckd_uacr * 0.2)))
            self.lab(ctx, institution, day, "creatinine", creatinine)
            self.lab(ctx, institution, day, "egfr", round(egfr, 1))
            self.lab(ctx, institution, day, "uacr", uacr)
            followups["ckd_early"] = {"creatinine": creatinine, "egfr": round(egfr, 1), "uacr": uacr}
        for program, values in followups.items():
            if values and day.month in (1, 2, 3, 7, 8, 9):
                self.follow_up(ctx, institution, day, program, values)

    def hepatitis_care(self, ctx: PersonContext, hospital: InstitutionPlan) -> float:
        """Hepatitis B and C follow-up: separate programmes with their own labs (NHI B/C 肝炎照護)."""
        visits = 0
        if "hbv" in ctx.person.conditions:
            visits += self._hepatitis_b(ctx, hospital)
        if "hcv" in ctx.person.conditions:
            visits += self._hepatitis_c(ctx, hospital)
        return visits / ctx.years if ctx.years else 0.0

    def _liver_visit(self, ctx, hospital, day: dt.date, diagnosis: str, drugs: list) -> dict:
        visit = self.visit(
            ctx,
            hospital,
            "western",
            day,
            department="02",
            copayment=self.copayment(hospital),
            points=self.rng.randrange(900, 2600),
            diagnoses=[diagnosis],
            drug_orders=drugs,
            non_drug_orders=[
                {"payment_code": CONSULTATION[(hospital.kind, False)]},
                {"payment_code": "09026C"},
                {"payment_code": "12007C"},
                {"payment_code": "19001C"},
            ],
        )
        self.report(
            ctx,
            hospital,
            "imaging",
            day,
            "腹部超音波 Abdominal ultrasound",
            "肝臟實質回音稍粗糙，未見局部病灶；膽囊、胰臟、脾臟、腎臟未見異常。"
            "Coarse liver parenchyma, no focal lesion; gallbladder, pancreas, spleen and kidneys unremarkable.",
            visit,
        )
        return visit

    def _hepatitis_b(self, ctx: PersonContext, hospital: InstitutionPlan) -> int:
        treated = "hbv_treated" in ctx.person.conditions  # their antiviral comes with the chronic prescription
        day = ctx.start + dt.timedelta(days=self.rng.randrange(0, 120))
        visits = 0
        while day <= self.yesterday:
            if not treated:
                self._liver_visit(ctx, hospital, day, "B18.1", [])
                visits += 1
            alt = max(8, round(self.rng.gauss(ctx.hbv_alt if not treated else 24, 8)))
            ast = max(8, round(alt * self.rng.uniform(0.7, 1.1)))
            afp = round(max(1.0, self.rng.gauss(3.5, 1.5)), 1)
            dna = 0 if treated else round(ctx.hbv_dna * self.rng.uniform(0.5, 1.8))
            self.lab(ctx, hospital, day, "alt", alt)
            self.lab(ctx, hospital, day, "ast", ast)
            self.lab(ctx, hospital, day, "afp", afp)
            self.lab(ctx, hospital, day, "hbsag", "Positive")
            self.lab(ctx, hospital, day, "hbeag", "Positive" if ctx.hbv_hbeag else "Negative")
            self.lab(ctx, hospital, day, "hbv_dna", dna or "Not detected")
            values = {"alt": alt, "ast": ast, "afp": afp} | ({"hbv_dna": dna} if dna else {})
            self.follow_up(ctx, hospital, day, "hepatitis_b", values)
            day += dt.timedelta(days=self.rng.randint(170, 200))
        return visits

    def _hepatitis_c(self, ctx: PersonContext, hospital: InstitutionPlan) -> int:
        """Either cured before the window (yearly checks) or treated in it with direct-acting antivirals."""
        visits = 0
        day = ctx.start + dt.timedelta(days=self.rng.randrange(0, 200))
        if day <= self.yesterday - dt.timedelta(days=200) and self.rng.random() < 0.5:
            viral_load = self.rng.choice([180000, 850000, 2400000])
            self._liver_visit(ctx, hospital, day, "B18.2", [])
            self.lab(ctx, hospital, day, "anti_hcv", "Positive")
            self.lab(ctx, hospital, day, "hcv_rna", viral_load)
            alt = max(8, round(self.rng.gauss(62, 15)))
            self.lab(ctx, hospital, day, "alt", alt)
            self.follow_up(ctx, hospital, day, "hepatitis_c", {"alt": alt})
            visits += 1
            weeks = self.rng.choice([8, 12])  # glecaprevir/pibrentasvir 8 weeks, sofosbuvir/velpatasvir 12
            daa = self.drug_order(self.rng.choice(self.drugs_with_prefix("J05AP", injections=False)), 28)
            for month in range(weeks // 4):
                treat_day = day + dt.timedelta(days=7 + 28 * month)
                if treat_day > self.yesterday:
                    return visits
                self._liver_visit(ctx, hospital, treat_day, "B18.2", [daa])
                visits += 1
            day = day + dt.timedelta(days=7 + 7 * weeks + 84)  # SVR12: 12 weeks after the last dose
        while day <= self.yesterday:
            self._liver_visit(ctx, hospital, day, "B18.2", [])
            visits += 1
            alt = max(8, round(self.rng.gauss(22, 6)))
            self.lab(ctx, hospital, day, "anti_hcv", "Positive")
            self.lab(ctx, hospital, day, "hcv_rna", "Not detected")
            self.lab(ctx, hospital, day, "alt", alt)
            self.follow_up(ctx, hospital, day, "hepatitis_c", {"alt": alt})
            day += dt.timedelta(days=self.rng.randint(330, 400))
        return visits

    def acute_visits(self, ctx: PersonContext, clinics, hospitals, chronic_per_year: float) -> None:
        """Everything else that brings a person to a western-medicine outpatient clinic."""
        person = ctx.person
        rates = reference.utilisation(ctx.age)
        per_year = max(0.3, rates.western * ctx.use_of_care - chronic_per_year - 0.15)
        mix = [(row, row.weight_for(ctx.age, person.sex)) for row in reference.outpatient_case_mix()]
        mix = [(row, w) for row, w in mix if w > 0]
        rows, cum_weights = [r for r, _ in mix], list(itertools.accumulate(w for _, w in mix))
        for day in self.visit_days(ctx, per_year):
            row = self.rng.choices(rows, cum_weights=cum_weights)[0]  # the same draw as weights=, summed once
            child = person.age_on(day) < 15
            department = "04" if child and row.department in ("01", "02") else row.department
            if not child and department == "04":
                department = "01"  # an adult with a sore throat or a fever sees a family doctor
            place = None if self.rng.random() < 0.2 else self.clinic_for(ctx, clinics, department, child)
            at_hospital = place is None
            place = place or self.rng.choice(hospitals)
            if place.kind == "clinic" and place.department not in ("", "00"):
                department = place.department
            self.visit(
                ctx,
                place,
                "western",
                day,
                department=department,
                copayment=self.copayment(place),
                points=self.rng.randrange(180, 700) if not at_hospital else self.rng.randrange(400, 1600),
                diagnoses=[row.icd10],
                drug_orders=self.prescription(row.icd10),
                non_drug_orders=[{"payment_code": CONSULTATION[(place.kind, False)]}],
            )

    def clinic_for(self, ctx: PersonContext, clinics, department: str, child: bool):
        """The clinic a complaint of a department goes to: the usual doctor for what a family doctor treats,
        else a clinic of that specialty in the county; None when the county has none (a hospital, then)."""
        if department in (CHILDREN_PRACTICE if child else GENERAL_PRACTICE):
            return ctx.clinic if self.rng.random() < 0.6 else self.rng.choice(family_doctors(clinics, child=child))
        specialists = [c for c in clinics if c.department == department]
        return self.rng.choice(specialists) if specialists else None

    # -- prevention ------------------------------------------------------
    def preventive(self, ctx: PersonContext, clinics: list[InstitutionPlan]) -> None:
        person = ctx.person
        for (low, high), code in zip(policy.CHILD_PREVENTIVE_CARE_MONTHS, CHILD_PREVENTIVE_CODES, strict=True):
            first = add_months(person.birth_date, low)
            last = add_months(person.birth_date, high) - dt.timedelta(days=1)
            day = self.day_between(first, last)
            if ctx.start <= day <= self.yesterday and self.rng.random() < 0.85:
                self._preventive_visit(ctx, self.rng.choice(clinics), day, "04", "Z00.129", [code])
        if ctx.age >= policy.PREVENTIVE_CARE_INTERVALS[0][0]:
            self._adult_preventive_care(ctx, clinics)
        self._screenings(ctx, clinics)

    def _preventive_visit(self, ctx, clinic, day: dt.date, department: str, diagnosis: str, orders: list[str]):
        return self.visit(
            ctx,
            clinic,
            "preventive",
            day,
            department=department,
            copayment=0,
            points=self.rng.randrange(300, 900),
            diagnoses=[diagnosis],
            non_drug_orders=[{"payment_code": code} for code in orders],
        )

    def _adult_preventive_care(self, ctx: PersonContext, clinics: list[InstitutionPlan]) -> None:
        """成人預防保健 at the ages and intervals of policy (SPEC §7.1), taken up by about 4 in 10."""
        person = ctx.person
        screened_for_hepatitis = False
        day = self.day_between(self.today - dt.timedelta(days=365 * 7), self.today - dt.timedelta(days=365 * 5))
        while day <= self.yesterday:
            age = person.age_on(day)
            interval = preventive_interval(age, person.is_indigenous)
            if interval and self.rng.random() < 0.45:
                clinic = self.rng.choice(clinics)
                hepatitis = (
                    not screened_for_hepatitis
                    and person.birth_date.year <= policy.HEPATITIS_SCREEN_BORN_BY_YEAR
                    and age <= policy.HEPATITIS_SCREEN_MAX_AGE
                )
                screened_for_hepatitis |= hepatitis
                self._preventive_check(ctx, clinic, day, hepatitis)
                if ctx.start <= day:
                    elderly = age >= policy.PREVENTIVE_CARE_INTERVALS[-1][0]
                    indigenous = person.is_indigenous and age >= policy.PREVENTIVE_CARE_INDIGENOUS_YEARLY_FROM
                    first, second = ("22", "24") if elderly else ("27", "28") if indigenous else ("21", "23")
                    abnormal = bool(set(person.conditions) & {"hypertension", "diabetes", "hyperlipidemia", "ckd"})
                    diagnosis = "Z00.01" if abnormal else "Z00.00"
                    self._preventive_visit(
                        ctx, clinic, day, "01", diagnosis, [first] + (["L1001C"] if hepatitis else [])
                    )
                    results = day + dt.timedelta(days=self.rng.randint(7, 21))
                    if results <= self.yesterday:
                        self._preventive_visit(ctx, clinic, results, "01", diagnosis, [second])
            day += dt.timedelta(days=round(365.25 * (interval or 1)) + self.rng.randrange(0, 60))

    def _screenings(self, ctx: PersonContext, clinics: list[InstitutionPlan]) -> None:
        person = ctx.person
        results = {
            "cervical": "抹片正常 Negative for intraepithelial lesion",
            "breast": "BI-RADS 1 陰性 Negative",
            "colorectal": "糞便潛血 陰性 Negative",
            "oral": "口腔黏膜檢查 未見異常 No abnormality",
        }
        for kind, (low, high, every) in policy.CANCER_SCREENING.items():
            if kind in ("cervical", "breast") and person.sex != "F":
                continue
            if kind == "oral" and (person.sex != "M" or self.rng.random() > 0.2):  # smokers and betel chewers
                continue
            day = self.day_between(self.today - dt.timedelta(days=365 * 6), self.today - dt.timedelta(days=365 * 4))
            while day <= self.yesterday:
                age = person.age_on(day)
                if age >= low and (high is None or age <= high) and self.rng.random() < 0.6:
                    abnormal = self.rng.random() < 0.05
                    self.emit(
                        "HPA",
                        "cancer-screenings",
                        {
                            "record_id": self.record_id("S"),
                            "national_id": person.national_id,
                            "institution": self.rng.choice(clinics).code,
                            "kind": kind,
                            "screened_on": day.isoformat(),
                            "result": "異常，請轉診進一步檢查 Abnormal, referred" if abnormal else results[kind],
                            "abnormal": abnormal,
                        },
                    )
                day += dt.timedelta(days=round(365.25 * every) + self.rng.randrange(0, 60))

    def _preventive_check(self, ctx: PersonContext, clinic: InstitutionPlan, day: dt.date, hepatitis: bool) -> None:
        person, rng = ctx.person, self.rng
        conditions = person.conditions
        height = rng.gauss(171 if person.sex == "M" else 158, 6)
        bmi = rng.gauss(25 if conditions else 23, 3)
        egfr = ctx.ckd_egfr if "ckd" in conditions else rng.gauss(95 - max(0, person.age_on(day) - 40) * 0.7, 8)
        egfr = max(10.0, egfr)
        creatinine = creatinine_for_egfr(egfr, person.age_on(day), person.sex)
        payload = {
            "record_id": self.record_id("P"),
            "national_id": person.national_id,
            "institution": clinic.code,
            "checked_on": day.isoformat(),
            "height_cm": f"{height:.1f}",
            "weight_kg": f"{bmi * (height / 100) ** 2:.1f}",
            "waist_cm": f"{rng.gauss(88 if person.sex == 'M' else 79, 8):.1f}",
            "systolic": round(rng.gauss(142 if "hypertension" in conditions else 122, 12)),
            "diastolic": round(rng.gauss(88 if "hypertension" in conditions else 76, 8)),
            "fasting_glucose": f"{rng.gauss(140 if 'diabetes' in conditions else 92, 12):.0f}",
            "cholesterol_total": f"{rng.gauss(205, 30):.0f}",
            "triglycerides": f"{max(40, rng.gauss(130, 50)):.0f}",
            "hdl": f"{max(20, rng.gauss(50, 11)):.0f}",
            "ldl": f"{max(40, rng.gauss(120, 28)):.0f}",
            "bun": f"{max(4, rng.gauss(14, 3)):.0f}",
            "creatinine": f"{creatinine:.2f}",
            "egfr": f"{egfr:.1f}",
            "urine_protein": rng.choice(["-", "-", "-", "+/-", "+"]) if "ckd" not in conditions else "+",
            "got": max(8, round(rng.gauss(24, 6))),
            "gpt": max(6, round(rng.gauss(ctx.hbv_alt if "hbv" in conditions else 22, 8))),
        }
        if hepatitis:  # the one-off hepatitis B/C screen
            payload["hbsag"] = "positive" if "hbv" in conditions else "negative"
            payload["anti_hcv"] = "positive" if "hcv" in conditions else "negative"
        self.emit("HPA", "preventive-checks", payload)

    # -- dentists and Chinese medicine -------------------------------------
    def dental(self, ctx: PersonContext, dentists: list[InstitutionPlan]) -> None:
        """Scaling at the NHI interval, fillings, root canals and extractions on FDI-numbered teeth."""
        if not dentists or ctx.age < 1:
            return
        person = ctx.person
        dentist = self.rng.choice(dentists)
        per_year = (
            reference.utilisation(ctx.age).dental * ctx.use_of_care * 1.25
        )  # a visit with nothing due is not billed
        high_risk = "diabetes" in person.conditions
        interval = policy.DENTAL_SCALING_INTERVAL_HIGH_RISK if high_risk else policy.DENTAL_SCALING_INTERVAL
        last_scaling: dt.date | None = None
        last_fluoride: dt.date | None = None
        for day in self.visit_days(ctx, per_year):
            age = person.age_on(day)
            orders: list[dict] = [{"payment_code": "00121C"}]
            diagnoses: list[str] = []
            if age < 6:
                if last_fluoride is None or (day - last_fluoride) >= policy.DENTAL_SCALING_INTERVAL:
                    orders.append({"payment_code": "81"})
                    diagnoses.append("Z29.3")
                    last_fluoride = day
                if age >= 2 and self.rng.random() < 0.4:
                    orders.append({"payment_code": "89011C", "tooth": self.rng.choice(PRIMARY)})
                    diagnoses.append("K02.52")
            elif age < policy.DENTAL_SCALING_FROM_AGE:
                if 6 <= age <= 9 and self.rng.random() < 0.3:
                    orders.append({"payment_code": "8A", "tooth": self.rng.choice(FIRST_MOLARS)})
                    diagnoses.append("Z01.20")
                elif self.rng.random() < 0.4:
                    orders.append({"payment_code": "92055C", "tooth": self.rng.choice(PRIMARY)})
                    diagnoses.append("K00.6")
                else:
                    orders.append({"payment_code": "89008C", "tooth": self.rng.choice(FIRST_MOLARS)})
                    diagnoses.append("K02.52")
            else:
                if last_scaling is None or (day - last_scaling) >= interval:
                    orders.append({"payment_code": "91089C" if high_risk else "91004C"})
                    diagnoses += ["K03.6", "K05.10"]
                    last_scaling = day
                treatment = self.rng.random()
                if treatment < 0.3:
                    tooth = self.rng.choice(PERMANENT)
                    posterior = tooth % 10 >= 4  # premolars and molars take the 後牙 codes
                    code = self.rng.choice(
                        ["89008C", "89009C", "89011C"] if posterior else ["89004C", "89005C", "89011C"]
                    )
                    orders.append({"payment_code": code, "tooth": tooth})
                    diagnoses.append("K02.7" if age >= 65 else self.rng.choice(["K02.52", "K02.62"]))
                elif treatment < 0.4:
                    tooth = self.rng.choice(PERMANENT)
                    # roots: upper first premolars two, other front teeth and premolars one, molars three
                    code = "90002C" if tooth in (14, 24) else "90001C" if tooth % 10 <= 5 else "90003C"
                    orders.append({"payment_code": code, "tooth": tooth})
                    diagnoses.append(self.rng.choice(["K04.02", "K04.5"]))
                elif treatment < 0.47:
                    if 17 <= age <= 35:
                        orders.append({"payment_code": "92063C", "tooth": self.rng.choice(WISDOM_TEETH)})
                        diagnoses.append("K01.1")
                    else:
                        orders.append({"payment_code": "92013C", "tooth": self.rng.choice(PERMANENT)})
                        diagnoses.append("K05.323" if age >= 50 else "K08.3")
            if len(orders) == 1:
                continue  # nothing due: this was a check-up the dentist does not bill apart
            self.visit(
                ctx,
                dentist,
                "dental",
                day,
                department="40",
                copayment=policy.DENTAL_AND_CHINESE_MEDICINE_COPAYMENT,
                points=self.rng.randrange(500, 1800),
                diagnoses=list(dict.fromkeys(diagnoses)),
                non_drug_orders=orders,
            )

    def chinese_medicine(self, ctx: PersonContext, clinics: list[InstitutionPlan]) -> None:
        """Courses of Chinese-medicine visits: herbal formulae that fit the diagnosis, acupuncture for pain."""
        if not clinics or ctx.age < 1:
            return
        person = ctx.person
        users = 0.45 if person.sex == "F" else 0.3  # share who use Chinese medicine in a year (approximate)
        if self.rng.random() > users:
            return
        clinic = self.rng.choice(clinics)
        per_year = reference.utilisation(ctx.age).chinese * ctx.use_of_care / users
        visits_per_course = 3
        mix = [(row, row.weight_for(ctx.age, person.sex)) for row in reference.chinese_medicine_case_mix()]
        mix = [(row, w) for row, w in mix if w > 0]
        if not mix:
            return
        rows, cum_weights = [r for r, _ in mix], list(itertools.accumulate(w for _, w in mix))
        for start in self.visit_days(ctx, per_year / visits_per_course):
            row = self.rng.choices(rows, cum_weights=cum_weights)[0]
            formulas = self.rng.sample(row.formulas, min(len(row.formulas), self.rng.randint(1, 3)))
            day = start
            for _ in range(self.rng.randint(1, 2 * visits_per_course - 1)):
                if day > self.yesterday:
                    break
                days = 7
                drugs = [
                    {
                        "drug_code": self.rng.choice(self.herbs_by_formula[f]).code,
                        "days_supplied": days,
                        "quantity": str(self.rng.choice([3, 4, 5]) * days),
                        "frequency": "TID",
                    }
                    for f in formulas
                ]
                orders = [{"payment_code": "A01"}, {"payment_code": "A21", "quantity": str(days)}]
                orders += [{"payment_code": code} for code in row.treatment[:1]]
                orders.append({"payment_code": "A31"})
                self.visit(
                    ctx,
                    clinic,
                    "chinese",
                    day,
                    department="60",
                    copayment=policy.DENTAL_AND_CHINESE_MEDICINE_COPAYMENT,
                    points=self.rng.randrange(250, 900),
                    diagnoses=[row.icd10],
                    drug_orders=drugs,
                    non_drug_orders=orders,
                )
                day += dt.timedelta(days=self.rng.randint(6, 9))

    # -- stays -------------------------------------------------------------
    def inpatient(self, ctx: PersonContext, hospitals: list[InstitutionPlan]) -> None:
        """Admissions at the person's age rate; medical or surgical as the stay table says."""
        person = ctx.person
        per_year = reference.utilisation(ctx.age).inpatient * ctx.use_of_care
        latest = self.yesterday - dt.timedelta(days=21)
        day = ctx.start
        if not per_year:
            return
        while True:
            day += dt.timedelta(days=_gap(self.rng.expovariate(per_year / 365.25), day, latest))
            if day > latest:
                return
            kinds = [(k, self._stay_weight(k, person, person.age_on(day))) for k in reference.inpatient_stays()]
            kinds = [(k, w) for k, w in kinds if w > 0]
            if not kinds:
                return
            stay = self.rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
            discharged = self._stay(ctx, self.rng.choice(hospitals), stay, day)
            day = discharged + dt.timedelta(days=14)

    @staticmethod
    def _stay_weight(stay: reference.StayKind, person: PersonPlan, age: int) -> float:
        weight = stay.weight_for(age, person.sex)
        needs = {"copd_exacerbation": "copd", "hyperglycaemia": "diabetes"}
        if stay.key in needs and needs[stay.key] not in person.conditions:
            return 0.0
        if stay.key == "heart_failure" and {"hypertension", "atrial_fibrillation"} & set(person.conditions):
            weight *= 3
        return weight

    def _stay(self, ctx: PersonContext, hospital: InstitutionPlan, stay: reference.StayKind, admitted: dt.date):
        person = ctx.person
        nights = self.rng.randint(*stay.los)
        discharged = admitted + dt.timedelta(days=nights)
        diagnoses = [self.rng.choice(stay.icd10)]
        if stay.key == "chemotherapy":
            diagnoses.append(
                self.rng.choice(["C50.911", "C18.9", "C34.90"] if person.sex == "F" else ["C18.9", "C34.90"])
            )
        surgery = self.payments[self.rng.choice(stay.surgery)] if stay.surgery else None
        operated = surgery is not None and surgery.kind == "surgery"
        ward, consult = WARD.get(hospital.kind, WARD_DISTRICT)
        orders: list[dict] = []
        if surgery is not None:
            orders.append({"payment_code": surgery.code, "body_site": surgery.body_site or None})
        orders += [
            {"payment_code": ward, "quantity": str(nights)},
            {"payment_code": consult, "quantity": str(nights)},
        ]
        if stay.imaging:
            orders.append({"payment_code": stay.imaging})
        if stay.pathology_code:
            orders.append({"payment_code": stay.pathology_code})
        if operated:
            department = DEPARTMENT_BY_SITE.get(surgery.body_site, "03")
        else:
            department = "05" if stay.key.endswith(("delivery", "caesarean")) else "04" if ctx.age < 15 else "02"
        visit = self.visit(
            ctx,
            hospital,
            "inpatient",
            admitted,
            end_date=discharged.isoformat(),
            department=department,
            copayment=self.rng.randrange(1000, 30000),
            points=self.rng.randrange(20000, 250000) if operated else self.rng.randrange(12000, 90000),
            diagnoses=diagnoses,
            drug_orders=self.prescription(diagnoses[0], injections=True, days=min(nights, 7) or 1),
            non_drug_orders=orders,
        )
        names = "；".join(f"{code} {self.icd[code].name_zh}" for code in diagnoses)
        treatment = f"手術：{surgery.name_zh}。" if surgery is not None else "內科治療。"
        self.report(
            ctx,
            hospital,
            "discharge",
            discharged,
            f"出院病歷摘要 {self.icd[diagnoses[0]].name_zh}",
            f"入院日期 {admitted.isoformat()}，出院日期 {discharged.isoformat()}。診斷：{names}。"
            f"{treatment}住院期間病況穩定，依醫囑返診追蹤。",
            visit,
        )
        if stay.imaging:
            study = self.payments[stay.imaging]
            self.report(
                ctx,
                hospital,
                "imaging",
                admitted,
                study.name_zh,
                f"{study.name_zh}：影像所見與臨床診斷 {diagnoses[0]} 相符。"
                "Findings compatible with the clinical diagnosis.",
                visit,
            )
        if stay.pathology_code and surgery is not None:
            self.report(
                ctx,
                hospital,
                "pathology",
                admitted + dt.timedelta(days=min(1, nights)),
                f"外科病理報告 Surgical pathology — {surgery.name_zh}",
                f"檢體 Specimen：{surgery.name_zh}。病理診斷 Diagnosis：{stay.pathology}",
                visit,
            )
        return discharged

    # -- vaccinations, allergies, wishes -------------------------------------
    def vaccinations(self, ctx: PersonContext, places: list[InstitutionPlan]) -> None:
        person = ctx.person
        for vaccine in self.vaccines:
            if vaccine.age_months is None or not self._vaccine_applies(vaccine.code, person):
                continue
            day = add_months(person.birth_date, vaccine.age_months) + dt.timedelta(days=self.rng.randrange(0, 20))
            if policy.VACCINATIONS_SINCE <= day <= self.yesterday and self.rng.random() < 0.96:
                self._vaccination(person, vaccine.code, day, self.rng.choice(places))
        known = {v.code for v in self.vaccines}
        if "Flu" in known and ctx.age >= 50 and self.rng.random() < 0.6:
            for year in range(self.today.year - policy.SPAN_MEDICAL_YEARS, self.today.year + 1):
                day = dt.date(year, 10, 15) + dt.timedelta(days=self.rng.randrange(0, 45))
                if ctx.start <= day <= self.yesterday:
                    self._vaccination(person, "Flu", day, self.rng.choice(places))
        if "PPV23" in known and ctx.age >= 66 and self.rng.random() < 0.4:
            self._vaccination(person, "PPV23", self.day_between(ctx.start, self.yesterday), self.rng.choice(places))

    @staticmethod
    def _vaccine_applies(code: str, person: PersonPlan) -> bool:
        if code == "HBIG":  # only for babies of HBsAg-positive mothers
            return False
        if code in ("JE3", "JE4"):  # the inactivated four-dose series, replaced in 2017
            return person.birth_date.year < 2016
        if code.startswith("HPV"):  # the school programme is for girls
            return person.sex == "F" and person.birth_date.year >= 2006
        return True

    def _vaccination(self, person: PersonPlan, code: str, day: dt.date, place: InstitutionPlan) -> None:
        self.emit(
            "CDC",
            "vaccinations",
            {
                "record_id": self.record_id("C"),
                "national_id": person.national_id,
                "vaccine_code": code,
                "vaccinated_on": day.isoformat(),
                "institution": place.code,
            },
        )

    def allergies(self, ctx: PersonContext, institution: InstitutionPlan) -> None:
        allergenic = [d for p in ("J01C", "M01A", "N02BA", "J01D") for d in self.drugs_with_prefix(p, injections=False)]
        for _ in range(self.rng.randint(1, 2)):
            drug = self.rng.choice(allergenic)
            self.emit(
                institution.code,
                "allergies",
                {
                    "record_id": self.record_id("A"),
                    "national_id": ctx.person.national_id,
                    "institution": institution.code,
                    "uploaded_on": self.day_between(
                        max(policy.ALLERGIES_SINCE, ctx.person.cards[0].issued_on), self.yesterday
                    ).isoformat(),
                    "allergen": drug.ingredient[:100],
                    "drug_code": drug.code,
                    "reaction": self.rng.choice(
                        ["皮疹 Rash", "蕁麻疹 Urticaria", "呼吸困難 Dyspnoea", "血管水腫 Angioedema"]
                    ),
                    "doctor_name": self.person_name_only(),
                },
            )

    def person_name_only(self) -> str:
        surname = self.rng.choice(self.names["surnames"][:40])[0]
        return surname + "".join(g[0] for g in self.rng.sample(self.names["given_male"], 2))

    def wishes(self, ctx: PersonContext) -> None:
        for kind, chance, since in (
            ("organ_donation", 0.06, policy.ORGAN_DONATION_WISHES_SINCE),
            ("hospice", 0.09 if ctx.age < 65 else 0.2, policy.HOSPICE_WISHES_SINCE),
        ):
            if self.rng.random() < chance:
                earliest = max(since, ctx.person.birth_date + dt.timedelta(days=365 * 20))
                latest = self.yesterday - dt.timedelta(days=30)
                if earliest > latest:  # an adult only this last month: no registration could be on record yet
                    continue
                signed = self.day_between(earliest, latest)
                self.emit(
                    "MOHW",
                    "care-wishes",
                    {
                        "record_id": self.record_id("W"),
                        "national_id": ctx.person.national_id,
                        "kind": kind,
                        "signed_on": signed.isoformat(),
                        "registered_on": (signed + dt.timedelta(days=self.rng.randrange(3, 30))).isoformat(),
                    },
                )


def preventive_interval(age: int, indigenous: bool) -> int | None:
    """Years until the next adult preventive check at ``age`` (policy, SPEC §7.1); None if not eligible."""
    if indigenous and age >= policy.PREVENTIVE_CARE_INDIGENOUS_YEARLY_FROM:
        return 1
    interval = None
    for from_age, years in policy.PREVENTIVE_CARE_INTERVALS:
        if age >= from_age:
            interval = years
    return interval


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _gap(drawn: float, day: dt.date, last: dt.date) -> int:
    """Days to the next event of a Poisson process: at least one, and no further than just past ``last`` (a rare
    person with a tiny rate draws tens of thousands of years, past the last date Python knows)."""
    return min(max(1, round(drawn)), max(1, (last - day).days + 1))
