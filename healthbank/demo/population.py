"""The synthetic Taiwanese population: people, households, insurance and three years of history.

``build_population`` is pure: from a seed and a reference day it plans every
person, card and record as plain data, so the same seed and day give the same
population. ``load_population`` writes that plan through the same services
institutions and agencies use (``records.services.ingest``), so the demo data
passes every ingestion rule.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import random
from collections import defaultdict
from dataclasses import dataclass, field

from healthbank import policy
from healthbank.assessments.egfr import creatinine_for_egfr
from healthbank.core import codes
from healthbank.core import national_id as nid

from . import reference

HISTORY_YEARS = 3
SALARY_GRADES = (
    27470, 28800, 30300, 31800, 33300, 36300, 38200, 40100, 42000, 43900, 45800, 48200, 50600, 53000,
    55400, 57800, 60800, 63800, 66800, 72800, 76500, 80200, 87600, 92100, 96600, 105600, 115500, 126300,
    137100, 150000, 169200, 189500, 219500,
)  # fmt: skip  # NHI insured-salary grades (投保金額分級表, 2024), a subset

INSTITUTION_MIX = (  # (kind, specialty, code digit, how many per county)
    ("medical_center", "western", "1", 0),
    ("regional_hospital", "western", "2", 1),
    ("district_hospital", "western", "3", 1),
    ("clinic", "western", "4", 5),
    ("clinic", "dental", "5", 2),
    ("clinic", "chinese", "6", 2),
    ("pharmacy", "pharmacy", "7", 3),
    ("home_care", "nursing", "8", 1),
    ("health_center", "western", "9", 1),
)
MEDICAL_CENTER_COUNTIES = {"臺北市": 3, "新北市": 1, "桃園市": 1, "臺中市": 2, "臺南市": 1, "高雄市": 2, "花蓮縣": 1}
PATTERN_KEYS = {
    ("medical_center", "western"): "hospital_medical_center",
    ("regional_hospital", "western"): "regional_hospital",
    ("district_hospital", "western"): "district_hospital",
    ("clinic", "western"): "clinic_western",
    ("clinic", "dental"): "clinic_dental",
    ("clinic", "chinese"): "clinic_chinese",
    ("pharmacy", "pharmacy"): "pharmacy",
    ("home_care", "nursing"): "home_care",
    ("health_center", "western"): "health_center",
}


# ------------------------------------------------------------------ plan data


@dataclass
class InstitutionPlan:
    code: str
    name: str
    name_en: str
    kind: str
    specialty: str
    division: int
    county: str
    township: str
    phone: str
    address: str
    accepts_virtual_card: bool


@dataclass
class UnitPlan:
    code: str
    name: str
    kind: str
    category: int
    county: str


@dataclass
class CardPlan:
    card_number: str
    issued_on: dt.date
    reason: str
    private_key: bytes = b""  # the simulated card's Ed25519 key (its public half is registered at issue)


@dataclass(frozen=True)
class RegistryAddress:
    """戶籍 — household number and registered address as the household registry holds them."""

    household_number: str
    county: str
    township: str
    village: str
    neighbourhood: int


@dataclass
class PersonPlan:
    national_id: str
    name: str
    name_en: str
    sex: str
    birth_date: dt.date
    county: str
    township: str
    is_indigenous: bool
    cards: list[CardPlan]
    conditions: tuple[str, ...] = ()
    address: RegistryAddress | None = None
    mobile: str = ""
    mobile_plan: str = ""
    email: str = ""
    certificate_serial: str = ""

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))

    def card_on(self, day: dt.date) -> CardPlan | None:
        valid = None
        for card in self.cards:
            if card.issued_on <= day:
                valid = card
        return valid


@dataclass
class HouseholdPlan:
    insured: int  # index into people
    dependents: list[tuple[int, str]]  # (person index, relationship)
    unit: str
    category: int
    salary: int
    since: dt.date


@dataclass
class Population:
    seed: int
    today: dt.date
    institutions: list[InstitutionPlan]
    units: list[UnitPlan]
    people: list[PersonPlan]
    households: list[HouseholdPlan]
    # (sender source, record type) → payloads, in the order they must be sent
    batches: dict[tuple[str, str], list[dict]] = field(default_factory=dict)

    def record_count(self) -> int:
        return sum(len(v) for v in self.batches.values())


# ------------------------------------------------------------------ the planner


class Planner:
    def __init__(self, seed: int, today: dt.date):
        self.rng = random.Random(seed)
        self.seed = seed
        self.today = today
        self.yesterday = today - dt.timedelta(days=1)
        self.history_start = dt.date(today.year - HISTORY_YEARS, today.month, 1) - dt.timedelta(days=60)
        self.batches: dict[tuple[str, str], list[dict]] = defaultdict(list)
        self.ids: set[str] = set()
        self.card_numbers: set[str] = set()
        self.household_numbers: set[str] = set()
        self.mobiles: set[str] = set()
        self.counter = itertools.count(1)
        self._catalogues()

    # -- reference data ------------------------------------------------
    def _catalogues(self) -> None:
        self.counties = codes.counties()
        self.names = reference.names()
        self.patterns = reference.institution_patterns()
        self.icd = codes.diagnoses()
        self.drug_list = list(codes.drugs().values())
        payment = list(codes.payment_codes().values())
        self.payment_by_kind: dict[str, list[codes.PaymentCode]] = defaultdict(list)
        for p in payment:
            self.payment_by_kind[p.kind].append(p)
        self.icd_by_group: dict[str, list[str]] = defaultdict(list)
        for d in self.icd.values():
            self.icd_by_group[d.group].append(d.code)
        self.vaccines = list(codes.vaccines().values())

    def icd_code(self, *preferred: str, group: str = "") -> str:
        for code in preferred:
            if code in self.icd:
                return code
        for code in preferred:  # same category, any subcode
            for known in self.icd:
                if known.startswith(code.split(".")[0]):
                    return known
        options = self.icd_by_group.get(group) or list(self.icd)
        return options[0]

    def drugs_for(self, *atc_prefixes: str, chronic: bool | None = None) -> list[codes.Drug]:
        found = [
            d
            for d in self.drug_list
            if d.atc_code.startswith(atc_prefixes) and (chronic is None or d.chronic == chronic)
        ]
        return found or [d for d in self.drug_list if d.atc_code.startswith(atc_prefixes[0][:1])] or self.drug_list

    def payment(self, kind: str, *name_parts: str) -> codes.PaymentCode:
        options = self.payment_by_kind.get(kind) or [p for ps in self.payment_by_kind.values() for p in ps]
        for part in name_parts:
            for p in options:
                if part in p.name_zh:
                    return p
        return options[0]

    # -- identifiers ---------------------------------------------------
    def record_id(self, prefix: str) -> str:
        return f"{prefix}{next(self.counter):08d}"

    def national_id(self, letter: str, sex: str) -> str:
        while True:
            prefix = letter + ("1" if sex == "M" else "2") + f"{self.rng.randrange(10**7):07d}"
            value = nid.with_check_digit(prefix)
            if value not in self.ids:
                self.ids.add(value)
                return value

    def card_number(self) -> str:
        while True:
            value = f"0000{self.rng.randrange(10**8):08d}"
            if value not in self.card_numbers:
                self.card_numbers.add(value)
                return value

    def day_between(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return start
        return start + dt.timedelta(days=self.rng.randrange((end - start).days + 1))

    # -- institutions and units ----------------------------------------
    def institutions(self) -> list[InstitutionPlan]:
        out: list[InstitutionPlan] = []
        surnames = self.names["surnames"][:30]
        given = self.names["given_male"] + self.names["given_female"]
        brands = self.patterns.get("brands", ["仁愛"])
        places = self.patterns.get("places", ["中山"])
        places_en = self.patterns.get("places_en", {})
        brands_en = self.patterns.get("brands_en", {})
        used_names: set[str] = set()
        for county_index, county in enumerate(self.counties, 1):
            for kind, specialty, digit, per_county in INSTITUTION_MIX:
                count = MEDICAL_CENTER_COUNTIES.get(county["name_zh"], 0) if kind == "medical_center" else per_county
                key = PATTERN_KEYS[(kind, specialty)]
                patterns, patterns_en = self._patterns_for(key, county["name_zh"])
                for seq in range(count):
                    township = self.rng.choice(county["townships"])
                    for _attempt in range(20):
                        place, brand = self.rng.choice(places), self.rng.choice(brands)
                        surname = self.rng.choice(surnames)
                        first, second = self.rng.sample(given, 2)
                        values = {
                            "county": county["name_zh"],
                            "county_short": county["name_zh"][:2],
                            "township": township["name_zh"],
                            "brand": brand,
                            "place": place,
                            "surname": surname[0],
                            "given": first[0] + second[0],
                            "county_en": county["name_en"],
                            "county_short_en": county["name_en"].removesuffix(" City").removesuffix(" County"),
                            "township_en": township["name_en"],
                            "brand_en": brands_en.get(brand, brand),
                            "place_en": places_en.get(place, place),
                            "surname_en": surname[2].title() if len(surname) > 2 else "",
                            "given_en": f"{first[1]}-{second[1]}".title(),
                        }
                        choice = self.rng.randrange(len(patterns))
                        name = patterns[choice].format_map(_Missing(values))
                        if name not in used_names:
                            break
                    used_names.add(name)
                    name_en = patterns_en[choice].format_map(_Missing(values)) if patterns_en else ""
                    code = f"{county_index:02d}{digit}{seq + 1 + 10 * county_index:07d}"
                    out.append(
                        InstitutionPlan(
                            code=code,
                            name=name,
                            name_en=name_en,
                            kind=kind,
                            specialty=specialty,
                            division=county["nhi_division"],
                            county=county["name_zh"],
                            township=township["name_zh"],
                            phone=f"0{self.rng.randrange(2, 9)}-{self.rng.randrange(2000000, 29999999)}",
                            address=f"{county['name_zh']}{township['name_zh']}{place}路{self.rng.randrange(1, 400)}號",
                            accepts_virtual_card=self.rng.random() < (0.9 if kind != "clinic" else 0.5),
                        )
                    )
        return out

    def _patterns_for(self, key: str, county: str) -> tuple[list[str], list[str]]:
        """Chinese name patterns of a kind and their English counterparts, pattern by pattern."""
        if key == "health_center" and county in self.patterns.get("health_center_overrides", {}):
            return (
                [self.patterns["health_center_overrides"][county]],
                [self.patterns.get("health_center_overrides_en", {}).get(county, "")],
            )
        patterns = self.patterns.get(key) or ["{place}醫療院所"]
        english = self.patterns.get("en_by_pattern", {}).get(key) or []
        if len(english) != len(patterns):
            english = [self.patterns.get("en", {}).get(key, "{place_en}")] * len(patterns)
        return patterns, english

    def units(self) -> list[UnitPlan]:
        out = []
        serial = itertools.count(1)
        for county in self.counties:
            for kind, category, suffix in (
                ("employer", 1, "股份有限公司"),
                ("employer", 1, "企業社"),
                ("employer", 1, "科技股份有限公司"),
                ("union", 2, "職業工會"),
                ("farmers", 3, "農會"),
                ("township", 6, "公所"),
            ):
                township = self.rng.choice(county["townships"])["name_zh"]
                brand = self.rng.choice(self.patterns.get("places", ["中山"]))
                name = f"{county['name_zh']}{township}{suffix}" if kind == "township" else f"{brand}{suffix}"
                if kind == "union":
                    name = f"{county['name_zh']}{self.rng.choice(['木工', '美容', '汽車駕駛', '攤販'])}{suffix}"
                if kind == "farmers":
                    name = f"{county['name_zh']}{township}{suffix}"
                out.append(UnitPlan(f"{next(serial):09d}", name, kind, category, county["name_zh"]))
        return out

    # -- people --------------------------------------------------------
    def person(self, county: dict, sex: str, birth: dt.date, surname: tuple | None = None) -> PersonPlan:
        surnames = self.names["surnames"]
        if surname is None:
            surname = self.rng.choices(surnames, weights=[s[1] for s in surnames])[0]
        pool = self.names["given_male" if sex == "M" else "given_female"]
        given = self.rng.sample(pool, 2) if self.rng.random() < 0.92 else [self.rng.choice(pool)]
        name = surname[0] + "".join(g[0] for g in given)
        name_en = f"{surname[2]}, {'-'.join(g[1] for g in given).title()}" if len(surname) > 2 else ""
        township = self.rng.choice(county["townships"])
        first_issue = max(birth + dt.timedelta(days=self.rng.randrange(7, 60)), dt.date(2004, 1, 1))
        first_issue = min(first_issue + dt.timedelta(days=self.rng.randrange(0, 200)), self.yesterday)
        if birth >= dt.date(2004, 1, 1):
            first_issue = min(birth + dt.timedelta(days=self.rng.randrange(7, 45)), self.yesterday)
        cards = [CardPlan(self.card_number(), first_issue, "first", self.rng.randbytes(32))]
        if self.rng.random() < 0.15 and first_issue < self.history_start:
            replaced = self.day_between(self.history_start, self.yesterday - dt.timedelta(days=30))
            reason = self.rng.choice(["replacement", "photo", "damaged"])
            cards.append(CardPlan(self.card_number(), replaced, reason, self.rng.randbytes(32)))
        return PersonPlan(
            national_id=self.national_id(county["id_letter"], sex),
            name=name,
            name_en=name_en,
            sex=sex,
            birth_date=birth,
            county=county["name_zh"],
            township=township["name_zh"],
            is_indigenous=self.rng.random() < 0.025,
            cards=cards,
        )

    def birth_for_age(self, age: int) -> dt.date:
        """A birthday that makes the person exactly ``age`` today (and never a future one)."""
        year = self.today.year - age
        latest = self.today.replace(year=year, day=28) if (self.today.month, self.today.day) == (2, 29) else None
        latest = min(latest or self.today.replace(year=year), self.yesterday)
        earliest = latest - dt.timedelta(days=364)
        return self.day_between(earliest, latest)

    def population(self, size: int) -> tuple[list[PersonPlan], list[HouseholdPlan], list[UnitPlan]]:
        units = self.units()
        units_by_county: dict[str, list[UnitPlan]] = defaultdict(list)
        for unit in units:
            units_by_county[unit.county].append(unit)
        people: list[PersonPlan] = []
        households: list[HouseholdPlan] = []
        weights = [len(c["townships"]) + (25 if c["name_zh"][-1] == "市" else 0) for c in self.counties]
        while len(people) < size:
            county = self.rng.choices(self.counties, weights=weights)[0]
            head_age = self.rng.choices(range(22, 90), weights=[max(1, 60 - abs(a - 45)) for a in range(22, 90)])[0]
            head_sex = self.rng.choice("MF")
            head = self.person(county, head_sex, self.birth_for_age(head_age))
            head_index = len(people)
            people.append(head)
            dependents: list[tuple[int, str]] = []
            if size - len(people) > 0 and self.rng.random() < 0.55:
                spouse_age = max(20, head_age + self.rng.randint(-5, 5))
                people.append(self.person(county, "F" if head_sex == "M" else "M", self.birth_for_age(spouse_age)))
                dependents.append((len(people) - 1, "spouse"))
            if 24 <= head_age <= 58:
                surname = next(s for s in self.names["surnames"] if s[0] == head.name[0]) if head_sex == "M" else None
                for _ in range(self.rng.choices([0, 1, 2, 3], weights=[3, 4, 5, 1])[0]):
                    if len(people) >= size:
                        break
                    child_age = self.rng.randint(0, min(head_age - 22, 24))
                    child = self.person(county, self.rng.choice("MF"), self.birth_for_age(child_age), surname)
                    people.append(child)
                    dependents.append((len(people) - 1, "child"))
            if 38 <= head_age <= 60 and len(people) < size and self.rng.random() < 0.12:
                people.append(self.person(county, self.rng.choice("MF"), self.birth_for_age(head_age + 28)))
                dependents.append((len(people) - 1, "parent"))
            if head_age >= 65 and self.rng.random() < 0.85:
                unit = next(u for u in units_by_county[county["name_zh"]] if u.kind == "township")
            else:
                unit = self.rng.choices(units_by_county[county["name_zh"]], weights=[5, 3, 3, 1, 1, 1])[0]
            salary = self.rng.choice(SALARY_GRADES[:8] if unit.category != 1 else SALARY_GRADES)
            since = max(head.birth_date + dt.timedelta(days=365 * 20), self.birth_for_age(self.rng.randint(0, 20)))
            since = min(since, self.history_start)
            households.append(HouseholdPlan(head_index, dependents, unit.code, unit.category, salary, since))
            self.register_household(county, [head_index] + [i for i, _ in dependents], people)
        for person in people:
            person.conditions = self.conditions(person)
        return people, households, units

    def register_household(self, county: dict, members: list[int], people: list[PersonPlan]) -> None:
        """One registered address for the household, and each adult's own mobile, e-mail and certificate."""
        head = people[members[0]]
        township = next(t for t in county["townships"] if t["name_zh"] == head.township)
        while True:
            number = f"{county['id_letter']}{self.rng.randrange(10**7):07d}"
            if number not in self.household_numbers:
                self.household_numbers.add(number)
                break
        address = RegistryAddress(
            number,
            county["name_zh"],
            township["name_zh"],
            self.rng.choice(township["villages"]),
            self.rng.randint(1, 30),
        )
        for index in members:
            person = people[index]
            person.township = township["name_zh"]
            person.address = address
            if person.age_on(self.today) < 15:
                continue
            while True:
                mobile = f"09{self.rng.randrange(10**8):08d}"
                if mobile not in self.mobiles:
                    self.mobiles.add(mobile)
                    break
            person.mobile = mobile
            person.mobile_plan = self.rng.choices(["postpaid", "prepaid", "company"], weights=[80, 12, 8])[0]
            handle = (person.name_en.split(",")[0].lower() or "user") + f".{index + 1}"
            person.email = f"{handle}@{self.rng.choice(['mail', 'post', 'inbox'])}.example.tw"
            if person.age_on(self.today) >= 18 and self.rng.random() < 0.3:
                person.certificate_serial = f"{self.rng.randrange(16**16):016X}"

    def conditions(self, person: PersonPlan) -> tuple[str, ...]:
        age = person.age_on(self.today)
        band = 0 if age < 40 else 1 if age < 65 else 2
        chances = {
            "hypertension": (0.03, 0.22, 0.5),
            "diabetes": (0.01, 0.1, 0.22),
            "hyperlipidemia": (0.02, 0.15, 0.3),
            "ckd": (0.005, 0.04, 0.12),
        }
        found = [c for c, p in chances.items() if age >= 18 and self.rng.random() < p[band]]
        if "diabetes" in found and "ckd" not in found and self.rng.random() < 0.2:
            found.append("ckd")
        hbv = 0.12 if person.birth_date.year <= 1986 else 0.015
        if age >= 15 and self.rng.random() < hbv:
            found.append("hbv")
        return tuple(found)

    # -- history -------------------------------------------------------
    def emit(self, source: str, record_type: str, payload: dict) -> None:
        self.batches[(source, record_type)].append(payload)

    def history(self, person: PersonPlan, inst: dict[str, list[InstitutionPlan]]) -> None:
        local = inst[person.county]
        by = defaultdict(list)
        for i in local:
            by[(i.kind, i.specialty)].append(i)
        hospitals = by[("regional_hospital", "western")] + by[("district_hospital", "western")]
        hospitals += by[("medical_center", "western")]
        clinics = by[("clinic", "western")]
        ctx = _PersonContext(self, person)
        if person.conditions:
            self.chronic_care(ctx, self.rng.choice(hospitals + clinics), by[("pharmacy", "pharmacy")])
        self.acute_visits(ctx, clinics + by[("health_center", "western")])
        if ctx.age >= 3:
            self.dental(ctx, by[("clinic", "dental")])
        if self.rng.random() < 0.3:
            self.chinese_medicine(ctx, by[("clinic", "chinese")])
        if self.rng.random() < (0.15 if ctx.age >= 65 else 0.06):
            self.inpatient(ctx, self.rng.choice(hospitals))
        self.vaccinations(ctx, by[("health_center", "western")] + clinics)
        self.preventive(ctx, clinics + by[("health_center", "western")])
        if self.rng.random() < 0.08:
            self.allergies(ctx, self.rng.choice(clinics + hospitals))
        if ctx.age >= 20:
            self.wishes(ctx)

    def visit(self, ctx: _PersonContext, institution: InstitutionPlan, kind: str, day: dt.date, **fields) -> dict:
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

    def chronic_care(self, ctx: _PersonContext, institution: InstitutionPlan, pharmacies: list) -> None:
        person = ctx.person
        meds = {
            "hypertension": (self.icd_code("I10"), self.drugs_for("C08CA", "C09", "C07AB", chronic=True)),
            "diabetes": (self.icd_code("E11.9"), self.drugs_for("A10BA", "A10BH", "A10BK", "A10BB", chronic=True)),
            "hyperlipidemia": (self.icd_code("E78.5", "E78.0"), self.drugs_for("C10AA", chronic=True)),
            "ckd": (self.icd_code("N18.30", "N18.3", "N18.9"), self.drugs_for("V03AE", "A12AA", "B05XA")),
            "hbv": (self.icd_code("B18.1"), self.drugs_for("J05AF")),
        }
        chosen = {c: (meds[c][0], self.rng.choice(meds[c][1])) for c in person.conditions}
        start = max(self.history_start, person.cards[0].issued_on) + dt.timedelta(days=self.rng.randrange(0, 60))
        day = start
        consult = self.payment("consultation", "開具慢性病連續處方並交付特約藥局調劑", "門診診察費")
        while day <= self.yesterday:
            diagnoses = [c[0] for c in chosen.values()]
            drugs = [
                {"drug_code": d.code, "days_supplied": 30, "quantity": "30", "frequency": "QD"}
                for _, d in chosen.values()
            ]
            rx_id = self.record_id("RX")
            visit = self.visit(
                ctx,
                institution,
                "western",
                day,
                department="02",
                copayment=self.rng.choice([0, 50, 150, 240]),
                points=self.rng.randrange(400, 2200),
                diagnoses=diagnoses,
                drug_orders=drugs,
                non_drug_orders=[{"payment_code": consult.code}],
                chronic_prescription={"record_id": rx_id, "days_per_fill": 30, "fills": 3, "icd10": diagnoses[0]},
            )
            for refill in (2, 3):
                refill_day = day + dt.timedelta(days=30 * (refill - 1) - self.rng.randrange(0, 8))
                if refill_day > self.yesterday or not pharmacies:
                    break
                pharmacy = self.rng.choice(pharmacies)
                self.visit(
                    ctx,
                    pharmacy,
                    "pharmacy",
                    refill_day,
                    points=self.rng.randrange(200, 1500),
                    diagnoses=diagnoses,
                    drug_orders=drugs,
                    refill_of={"institution": institution.code, "record_id": rx_id, "refill_number": refill},
                )
            self.chronic_labs(ctx, institution, day, visit)
            day += dt.timedelta(days=self.rng.randrange(84, 92))

    def lab(self, ctx: _PersonContext, institution: InstitutionPlan, day: dt.date, key: str, value) -> None:
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

    def chronic_labs(self, ctx: _PersonContext, institution: InstitutionPlan, day: dt.date, visit: dict) -> None:
        conditions = ctx.person.conditions
        age = ctx.person.age_on(day)
        followups: dict[str, dict[str, str]] = defaultdict(dict)
        if "diabetes" in conditions:
            hba1c = round(self.rng.gauss(7.4, 0.9), 1)
            self.lab(ctx, institution, day, "hba1c", hba1c)
            self.lab(ctx, institution, day, "glucose_fasting", round(self.rng.gauss(145, 30)))
            followups["diabetes"]["hba1c"] = str(hba1c)
        if "diabetes" in conditions or "hyperlipidemia" in conditions:
            if day.month % 6 < 3:
                ldl = round(self.rng.gauss(115, 28))
                self.lab(ctx, institution, day, "cholesterol_total", ldl + round(self.rng.gauss(70, 15)))
                self.lab(ctx, institution, day, "triglycerides", max(40, round(self.rng.gauss(150, 60))))
                self.lab(ctx, institution, day, "hdl", max(20, round(self.rng.gauss(48, 10))))
                self.lab(ctx, institution, day, "ldl", ldl)
                if "diabetes" in conditions:
                    followups["diabetes"]["ldl"] = str(ldl)
        if "ckd" in conditions:
            egfr = max(8.0, self.rng.gauss(ctx.ckd_egfr, 4))
            creatinine = round(creatinine_for_egfr(egfr, age, ctx.person.sex), 2)
            uacr = max(5, round(self.rng.gauss(ctx.ckd_uacr, ctx.ckd_uacr * 0.2)))
            self.lab(ctx, institution, day, "creatinine", creatinine)
            self.lab(ctx, institution, day, "egfr", round(egfr, 1))
            self.lab(ctx, institution, day, "uacr", uacr)
            followups["ckd_early"] = {"creatinine": str(creatinine), "egfr": str(round(egfr, 1)), "uacr": str(uacr)}
        if "hbv" in conditions:
            alt = max(8, round(self.rng.gauss(ctx.hbv_alt, 8)))
            self.lab(ctx, institution, day, "alt", alt)
            self.lab(ctx, institution, day, "hbsag", "Positive")
            self.lab(ctx, institution, day, "hbeag", "Positive" if ctx.hbv_hbeag else "Negative")
            followups["hepatitis"]["alt"] = str(alt)
        for program, values in followups.items():
            if values and day.month in (1, 2, 3, 7, 8, 9):
                self.emit(
                    institution.code,
                    "follow-ups",
                    {
                        "record_id": self.record_id("F"),
                        "national_id": ctx.person.national_id,
                        "institution": institution.code,
                        "program": program,
                        "measured_on": day.isoformat(),
                        "values": values,
                    },
                )

    def _visit_days(self, ctx: _PersonContext, per_year: float) -> list[dt.date]:
        days = []
        start = max(self.history_start, ctx.person.cards[0].issued_on)
        day = start
        while True:
            day += dt.timedelta(days=max(1, round(self.rng.expovariate(per_year / 365))))
            if day > self.yesterday:
                return days
            days.append(day)

    def acute_visits(self, ctx: _PersonContext, clinics: list[InstitutionPlan]) -> None:
        rate = 8 if ctx.age < 6 else 4 if ctx.age < 15 else 3 if ctx.age < 65 else 5
        consult = self.payment("consultation", "基層院所門診診察費", "門診診察費")
        groups = ["respiratory"] * 6 + ["digestive", "musculoskeletal", "skin", "eye", "ent", "genitourinary"]
        acute = [
            self.drugs_for("N02BE"),
            self.drugs_for("R05", "R06"),
            self.drugs_for("A02", "A03"),
            self.drugs_for("M01A"),
            self.drugs_for("J01"),
        ]
        for day in self._visit_days(ctx, rate):
            group = self.rng.choice(groups)
            options = self.icd_by_group.get(group) or self.icd_by_group["respiratory"]
            diagnosis = self.rng.choice(options)
            drugs = [self.rng.choice(self.rng.choice(acute)) for _ in range(self.rng.randint(1, 3))]
            unique = list({d.code: d for d in drugs}.values())
            self.visit(
                ctx,
                self.rng.choice(clinics),
                "western",
                day,
                department=self.rng.choice(["01", "02", "04", "05", "06"]),
                copayment=50,
                points=self.rng.randrange(180, 700),
                diagnoses=[diagnosis],
                drug_orders=[
                    {
                        "drug_code": d.code,
                        "days_supplied": 3,
                        "quantity": str(self.rng.choice([3, 6, 9])),
                        "frequency": "TID",
                    }
                    for d in unique
                ],
                non_drug_orders=[{"payment_code": consult.code}],
            )

    def dental(self, ctx: _PersonContext, dentists: list[InstitutionPlan]) -> None:
        if not dentists or self.rng.random() > 0.75:
            return
        dentist = self.rng.choice(dentists)
        scaling = self.payment("dental", "牙結石清除－全口", "牙結石清除")
        dental_codes = [p for p in self.payment_by_kind["dental"] if p.dental]
        gum = self.icd_code("K05.10", "K03.6", group="dental")
        caries = self.icd_code("K02.52", "K02.9", group="dental")
        adult = ctx.age >= 13
        teeth = sorted(PERMANENT if adult else PRIMARY)
        day = max(self.history_start, ctx.person.cards[0].issued_on) + dt.timedelta(days=self.rng.randrange(0, 150))
        while day <= self.yesterday:
            orders: list[dict] = []
            diagnoses = [gum]
            if adult and ctx.person.age_on(day) >= policy.DENTAL_SCALING_FROM_AGE:
                orders.append({"payment_code": scaling.code})
            if dental_codes and self.rng.random() < 0.35:
                diagnoses.append(caries)
                tooth = self.rng.choice(teeth)
                orders.append({"payment_code": self.rng.choice(dental_codes).code, "tooth": tooth})
            if orders:
                self.visit(
                    ctx,
                    dentist,
                    "dental",
                    day,
                    department="40",
                    copayment=50,
                    points=self.rng.randrange(500, 1800),
                    diagnoses=diagnoses,
                    non_drug_orders=orders,
                )
            day += dt.timedelta(days=self.rng.randrange(183, 230))

    def chinese_medicine(self, ctx: _PersonContext, clinics: list[InstitutionPlan]) -> None:
        if not clinics:
            return
        clinic = self.rng.choice(clinics)
        treatment = self.payment_by_kind.get("chinese_medicine") or self.payment_by_kind["consultation"]
        herbs = [d for d in self.drug_list if d.form == "granules"] or self.drugs_for("N02")
        for day in self._visit_days(ctx, 2.5):
            diagnosis = self.rng.choice(self.icd_by_group.get("musculoskeletal") or list(self.icd))
            self.visit(
                ctx,
                clinic,
                "chinese",
                day,
                department="60",
                copayment=50,
                points=self.rng.randrange(250, 900),
                diagnoses=[diagnosis],
                drug_orders=[{"drug_code": self.rng.choice(herbs).code, "days_supplied": 7, "quantity": "21"}],
                non_drug_orders=[{"payment_code": self.rng.choice(treatment).code}],
            )

    def inpatient(self, ctx: _PersonContext, hospital: InstitutionPlan) -> None:
        start = max(self.history_start, ctx.person.cards[0].issued_on)
        latest = self.yesterday - dt.timedelta(days=14)
        if start > latest:  # a newborn's card is too new for a stay that has already ended
            return
        admitted = self.day_between(start, latest)
        discharged = admitted + dt.timedelta(days=self.rng.randint(2, 9))
        female_only, male_only = ("子宮", "剖腹", "卵巢", "乳房"), ("攝護腺", "前列腺", "睪丸")
        surgeries = [
            p
            for p in self.payment_by_kind["surgery"]
            if not any(w in p.name_zh for w in (male_only if ctx.person.sex == "F" else female_only))
        ]
        surgery = self.rng.choice(surgeries)
        diagnosis = self.icd_code(*SURGERY_DIAGNOSES.get(surgery.body_site, ()), group="other")
        ward = self.payment("other", "病房費") if self.payment_by_kind.get("other") else None
        orders = [{"payment_code": surgery.code, "body_site": surgery.body_site or None}]
        if ward is not None:
            orders.append({"payment_code": ward.code, "quantity": str((discharged - admitted).days)})
        visit = self.visit(
            ctx,
            hospital,
            "inpatient",
            admitted,
            end_date=discharged.isoformat(),
            department="03",
            copayment=self.rng.randrange(1000, 30000),
            points=self.rng.randrange(20000, 250000),
            diagnoses=[diagnosis],
            drug_orders=[
                {"drug_code": self.rng.choice(self.drugs_for("J01")).code, "days_supplied": 3, "quantity": "9"}
            ],
            non_drug_orders=orders,
        )
        name = self.icd[diagnosis].name_zh
        self.emit(
            hospital.code,
            "reports",
            {
                "record_id": self.record_id("D"),
                "national_id": ctx.person.national_id,
                "institution": hospital.code,
                "kind": "discharge",
                "performed_on": discharged.isoformat(),
                "title": f"出院病歷摘要 {name}",
                "text": (
                    f"入院日期 {admitted.isoformat()}，出院日期 {discharged.isoformat()}。"
                    f"診斷：{diagnosis} {name}。手術：{surgery.name_zh}。術後恢復良好，依醫囑返診追蹤。"
                ),
                "visit_record_id": visit["record_id"],
            },
        )
        imaging = self.payment_by_kind.get("imaging")
        if imaging:
            study = self.rng.choice(imaging)
            self.emit(
                hospital.code,
                "reports",
                {
                    "record_id": self.record_id("I"),
                    "national_id": ctx.person.national_id,
                    "institution": hospital.code,
                    "kind": "imaging",
                    "performed_on": admitted.isoformat(),
                    "title": study.name_zh[:200],
                    "text": f"{study.name_zh}：術前評估。Findings compatible with clinical diagnosis ({diagnosis}).",
                    "visit_record_id": visit["record_id"],
                },
            )

    def vaccinations(self, ctx: _PersonContext, places: list[InstitutionPlan]) -> None:
        person = ctx.person
        for vaccine in self.vaccines:
            if vaccine.age_months is None or not self._vaccine_applies(vaccine.code, person):
                continue
            day = _add_months(person.birth_date, vaccine.age_months) + dt.timedelta(days=self.rng.randrange(0, 20))
            if policy.VACCINATIONS_SINCE <= day <= self.yesterday and self.rng.random() < 0.96:
                self._vaccination(person, vaccine.code, day, self.rng.choice(places))
        flu = next((v.code for v in self.vaccines if v.code.lower().startswith(("flu", "influenza"))), None)
        if flu and ctx.age >= 50 and self.rng.random() < 0.6:
            for year in range(self.today.year - HISTORY_YEARS, self.today.year + 1):
                day = dt.date(year, 10, 15) + dt.timedelta(days=self.rng.randrange(0, 45))
                if day <= self.yesterday:
                    self._vaccination(person, flu, day, self.rng.choice(places))

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

    def preventive(self, ctx: _PersonContext, clinics: list[InstitutionPlan]) -> None:
        person = ctx.person
        if ctx.age < 30:
            return
        day = self.day_between(self.today - dt.timedelta(days=365 * 7), self.today - dt.timedelta(days=365 * 5))
        while day <= self.yesterday:
            age = person.age_on(day)
            if age >= 30 and self.rng.random() < 0.8:
                self._preventive_check(ctx, self.rng.choice(clinics), day)
            interval = next(y for a, y in reversed(policy.PREVENTIVE_CARE_INTERVALS) if age >= a or a == 30)
            day += dt.timedelta(days=365 * interval + self.rng.randrange(0, 60))
        if person.sex == "F" and ctx.age >= 30:
            self._screening(ctx, clinics, "cervical", 3, "抹片正常 Negative for intraepithelial lesion")
        if person.sex == "F" and 45 <= ctx.age <= 69:
            self._screening(ctx, clinics, "breast", 2, "BI-RADS 1 陰性 Negative")
        if 50 <= ctx.age <= 74:
            self._screening(ctx, clinics, "colorectal", 2, "糞便潛血 陰性 Negative")
        if person.sex == "M" and ctx.age >= 30 and self.rng.random() < 0.2:
            self._screening(ctx, clinics, "oral", 2, "口腔黏膜檢查 未見異常 No abnormality")

    def _screening(self, ctx, clinics, kind: str, every: int, normal: str) -> None:
        day = self.day_between(self.today - dt.timedelta(days=365 * 6), self.today - dt.timedelta(days=365 * 4))
        while day <= self.yesterday:
            if self.rng.random() < 0.7:
                abnormal = self.rng.random() < 0.05
                self.emit(
                    "HPA",
                    "cancer-screenings",
                    {
                        "record_id": self.record_id("S"),
                        "national_id": ctx.person.national_id,
                        "institution": self.rng.choice(clinics).code,
                        "kind": kind,
                        "screened_on": day.isoformat(),
                        "result": "異常，請轉診進一步檢查 Abnormal, referred" if abnormal else normal,
                        "abnormal": abnormal,
                    },
                )
            day += dt.timedelta(days=365 * every + self.rng.randrange(0, 60))

    def _preventive_check(self, ctx: _PersonContext, clinic: InstitutionPlan, day: dt.date) -> None:
        person, rng = ctx.person, self.rng
        conditions = person.conditions
        height = rng.gauss(171 if person.sex == "M" else 158, 6)
        bmi = rng.gauss(25 if conditions else 23, 3)
        egfr = ctx.ckd_egfr if "ckd" in conditions else rng.gauss(95 - max(0, person.age_on(day) - 40) * 0.7, 8)
        egfr = max(10.0, egfr)
        creatinine = creatinine_for_egfr(egfr, person.age_on(day), person.sex)
        self.emit(
            "HPA",
            "preventive-checks",
            {
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
                "bun": f"{rng.gauss(14, 3):.0f}",
                "creatinine": f"{creatinine:.2f}",
                "egfr": f"{egfr:.1f}",
                "urine_protein": rng.choice(["-", "-", "-", "+/-", "+"]) if "ckd" not in conditions else "+",
                "got": max(8, round(rng.gauss(24, 6))),
                "gpt": max(6, round(rng.gauss(ctx.hbv_alt if "hbv" in conditions else 22, 8))),
                "hbsag": "positive" if "hbv" in conditions else "negative",
                "anti_hcv": "positive" if rng.random() < 0.02 else "negative",
            },
        )

    def allergies(self, ctx: _PersonContext, institution: InstitutionPlan) -> None:
        allergenic = self.drugs_for("J01C", "M01A", "N02BA", "J01D")
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

    def wishes(self, ctx: _PersonContext) -> None:
        for kind, chance, since in (
            ("organ_donation", 0.06, policy.ORGAN_DONATION_WISHES_SINCE),
            ("hospice", 0.09 if ctx.age < 65 else 0.2, policy.HOSPICE_WISHES_SINCE),
        ):
            if self.rng.random() < chance:
                earliest = max(since, ctx.person.birth_date + dt.timedelta(days=365 * 20))
                signed = self.day_between(earliest, self.yesterday - dt.timedelta(days=30))
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


PERMANENT = frozenset(q * 10 + n for q in (1, 2, 3, 4) for n in range(1, 9))
PRIMARY = frozenset(q * 10 + n for q in (5, 6, 7, 8) for n in range(1, 6))
SURGERY_DIAGNOSES = {
    "abdomen": ("K35.80", "K40.90"),
    "liver_gallbladder": ("K80.20",),
    "eye": ("H25.9", "H25.13"),
    "knee": ("M17.11", "M17.0"),
    "hip": ("M16.11", "S72.001A"),
    "colon_rectum": ("K64.8", "C18.9"),
    "reproductive": ("O82", "D25.9", "N40.0"),
    "breast": ("C50.911",),
    "neck": ("E04.1", "C73"),
    "heart": ("I25.10", "I21.9"),
    "spine": ("M51.26", "M48.06"),
    "ear_nose_throat": ("J35.01", "J34.2"),
    "skin": ("L72.0", "D22.9"),
    "kidney_urinary": ("N20.0",),
}


class _PersonContext:
    """Per-person constants that keep a person's labs consistent over time."""

    def __init__(self, planner: Planner, person: PersonPlan):
        rng = planner.rng
        self.person = person
        self.age = person.age_on(planner.today)
        self.ckd_egfr = rng.choice([75.0, 52.0, 38.0, 24.0])
        self.ckd_uacr = rng.choice([18.0, 90.0, 420.0])
        self.hbv_alt = rng.choice([18.0, 30.0, 55.0])
        self.hbv_hbeag = rng.random() < 0.2


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def build_population(people: int, seed: int, today: dt.date) -> Population:
    """Plan a population of about ``people`` people with history up to the day before ``today``."""
    planner = Planner(seed, today)
    institutions = planner.institutions()
    persons, households, units = planner.population(people)
    by_county: dict[str, list[InstitutionPlan]] = defaultdict(list)
    for i in institutions:
        by_county[i.county].append(i)
    for person in persons:
        planner.history(person, by_county)
    return Population(seed, today, institutions, units, persons, households, dict(planner.batches))


def premium_months(today: dt.date, years: int = policy.SPAN_PREMIUM_PAYMENTS_YEARS) -> list[dt.date]:
    first = dt.date(today.year - years, today.month, 1)
    months, day = [], first
    while day < dt.date(today.year, today.month, 1):
        months.append(day)
        day = _add_months(day, 1).replace(day=1)
    return months
