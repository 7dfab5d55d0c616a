"""The synthetic Taiwanese population: people, households, insurance and three years of history.

``build_population`` is pure: from a seed and a reference day it plans every
person, card and record as plain data, so the same seed and day give the same
population on whatever day it runs. ``load_population`` writes that plan through
the same services institutions and agencies use (``records.services.ingest``), so
the demo data passes every ingestion rule.

Who lives here follows Taiwan's published statistics (``demo/data``, sources in its
SOURCES.md): ages and sexes from the Ministry of the Interior's population pyramid,
people per county from the county populations, and families formed from those
people (children with parents of a fitting age, couples, elderly parents). The
history (``history.py``) follows the NHI's figures on the use of care.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from healthbank import policy
from healthbank.core import codes
from healthbank.core import national_id as nid

from . import reference
from .history import ClinicalHistory, add_months

HISTORY_YEARS = policy.SPAN_MEDICAL_YEARS
# People planned at a time for a large population (``plan_slices``): a slice's plan takes about 1 GB of memory at
# 10,000 people. Measured with the next slice planned alongside (``LoadingAside``): 10,000 people a slice loaded
# at 74 s each, 25,000 a slice at 207 s (83 s a 10,000), the workers touching less memory a slice.
SLICE_PEOPLE = 10_000
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
# Share of each kind of institution that accepts the virtual NHI card. In August 2025 the NHI counted 531
# contracted institutions offering it (317 in 2022) out of some 29,000 contracted ones: mostly medical centres
# and regional and district hospitals, home-care agencies (居家護理所) and remote-area health centres for home
# care, telemedicine and IDS care; few clinics and pharmacies (LTN 2025-10-26, citing the NHI's statistics).
# Clinics are kept at a share a demo county can still show; the real one is nearer 1 %.
VIRTUAL_CARD_SHARE = {
    ("medical_center", "western"): 0.9,
    ("regional_hospital", "western"): 0.7,
    ("district_hospital", "western"): 0.4,
    ("clinic", "western"): 0.15,
    ("clinic", "dental"): 0.05,
    ("clinic", "chinese"): 0.1,
    ("pharmacy", "pharmacy"): 0.05,
    ("home_care", "nursing"): 0.8,
    ("health_center", "western"): 0.3,
}
# Who insures an adult who heads an NHI household (SOURCES.md: NHI enrolment by category, approximate):
# (unit kind, NHI category, share) for people of working age and for people 65 and over.
INSURED_THROUGH = {
    "working_age": (("employer", 1, 0.72), ("union", 2, 0.14), ("farmers", 3, 0.04), ("township", 6, 0.10)),
    "elderly": (("employer", 1, 0.08), ("union", 2, 0.05), ("farmers", 3, 0.15), ("township", 6, 0.72)),
}
SPOUSE_WORKS = {"M": 0.8, "F": 0.6}  # a working spouse is insured through their own unit, not as a dependent
EMPLOYERS_PER_COUNTY = (("employer", "股份有限公司"), ("employer", "企業社"), ("employer", "科技股份有限公司"))


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
    department: str = ""  # a clinic's NHI department code, from its name (內科診所 → 02); "" for others


@dataclass
class UnitPlan:
    code: str
    name: str
    kind: str
    category: int
    county: str
    township: str = ""  # township offices and farmers' associations serve the people registered in one township


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


@dataclass
class _Family:
    """People who share one registered address (戶籍); one or more NHI households among them."""

    head: int
    spouse: int | None = None
    children: list[int] = field(default_factory=list)
    parents: list[int] = field(default_factory=list)

    def members(self) -> list[int]:
        return [self.head] + ([self.spouse] if self.spouse is not None else []) + self.children + self.parents


# ------------------------------------------------------------------ the planner


class Planner(ClinicalHistory):
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
        self.unit_serial = itertools.count(1)
        self.units_by_key: dict[tuple, UnitPlan] = {}
        self.people_planned = 0
        self._catalogues()

    # -- reference data ------------------------------------------------
    def _catalogues(self) -> None:
        self.counties = codes.counties()
        self.county_by_name = {c["name_zh"]: c for c in self.counties}
        self.names = reference.names()
        self.patterns = reference.institution_patterns()
        self.icd = codes.diagnoses()
        self.drug_list = list(codes.drugs().values())
        self.herbs_by_formula: dict[str, list[codes.Drug]] = defaultdict(list)  # Chinese herbal preparations
        for drug in self.drug_list:
            if drug.herbal:
                self.herbs_by_formula[drug.ingredient].append(drug)
        self.payments = codes.payment_codes()
        self.payment_by_kind: dict[str, list[codes.PaymentCode]] = defaultdict(list)
        for p in self.payments.values():
            self.payment_by_kind[p.kind].append(p)
        self.vaccines = list(codes.vaccines().values())
        self._drugs_by_prefix: dict[tuple[str, bool], list[codes.Drug]] = {}

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
                        choice = self.rng.choice(self._pattern_choices(key, seq, len(patterns)))
                        name = patterns[choice].format_map(_Missing(values))
                        if name not in used_names:
                            break
                    used_names.add(name)
                    name_en = patterns_en[choice].format_map(_Missing(values)) if patterns_en else ""
                    departments = self.patterns.get("department_by_pattern", {}).get(key, [])
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
                            # The same single draw as ever, so every later draw of the seed stays where it was.
                            accepts_virtual_card=self.rng.random() < VIRTUAL_CARD_SHARE[(kind, specialty)],
                            department=departments[choice] if len(departments) == len(patterns) else "",
                        )
                    )
        return out

    def _pattern_choices(self, key: str, seq: int, count: int) -> list[int]:
        """Which name patterns the seq-th institution of a kind may take: every county's first western clinic
        is a family-medicine or general one, so everyone has a usual doctor nearby."""
        departments = self.patterns.get("department_by_pattern", {}).get(key, [])
        if key == "clinic_western" and seq == 0 and len(departments) == count:
            return [i for i, d in enumerate(departments) if d in ("00", "01")]
        return list(range(count))

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

    def unit(self, kind: str, county: dict, township: str = "") -> UnitPlan:
        """The insurance unit of a kind for a county (employers, unions) or township (offices, farmers)."""
        county_name = county["name_zh"]
        if kind == "employer":
            variant = self.rng.randrange(len(EMPLOYERS_PER_COUNTY))
            key = (kind, county_name, variant)
        else:
            key = (kind, county_name, township if kind in ("township", "farmers") else "")
        if key in self.units_by_key:
            return self.units_by_key[key]
        brand = self.rng.choice(self.patterns.get("places", ["中山"]))
        if kind == "employer":
            name, category = f"{brand}{EMPLOYERS_PER_COUNTY[key[2]][1]}", 1
        elif kind == "union":
            trade = self.rng.choice(["木工", "美容", "汽車駕駛", "攤販"])
            name, category = f"{county_name}{trade}職業工會", 2
        elif kind == "farmers":
            name, category = f"{county_name}{township}農會", 3
        else:
            name, category = f"{county_name}{township}公所", 6
        local = township if kind in ("township", "farmers") else ""
        unit = UnitPlan(f"{next(self.unit_serial):09d}", name, kind, category, county_name, local)
        self.units_by_key[key] = unit
        return unit

    # -- people --------------------------------------------------------
    def person(self, county: dict, sex: str, birth: dt.date, surname: tuple | None = None) -> PersonPlan:
        surnames = self.names["surnames"]
        if surname is None:
            surname = self.rng.choices(surnames, weights=[s[1] for s in surnames])[0]
        pool = self.names["given_male" if sex == "M" else "given_female"]
        given = self.rng.sample(pool, 2) if self.rng.random() < 0.92 else [self.rng.choice(pool)]
        name = surname[0] + "".join(g[0] for g in given)
        name_en = f"{surname[2]}, {'-'.join(g[1] for g in given).title()}" if len(surname) > 2 else ""
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
            township="",
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

    def ages_and_sexes(self, size: int) -> list[tuple[int, str]]:
        """``size`` (age, sex) pairs in the proportions of the population pyramid (largest remainder)."""
        cells = [(band, sex) for band in reference.population_pyramid() for sex in "MF"]
        counts = _apportion(size, [band.male if sex == "M" else band.female for band, sex in cells])
        out = [
            (self.rng.randint(band.age_from, band.age_to), sex)
            for (band, sex), count in zip(cells, counts, strict=True)
            for _ in range(count)
        ]
        self.rng.shuffle(out)
        return out

    def families(self, pool: list[tuple[int, str]]) -> list[_Family]:
        """Group people into families: children with a parent of a fitting age, couples, elderly parents."""
        rng = self.rng
        age = [a for a, _ in pool]
        sex = [s for _, s in pool]
        free_adults = [i for i, a in enumerate(age) if 20 <= a < 65]
        free_elders = [i for i, a in enumerate(age) if a >= 65]
        families: list[_Family] = []
        with_children: list[_Family] = []

        def take_partner(i: int, free: list[int]) -> int | None:
            options = [j for j in free if sex[j] != sex[i] and abs(age[j] - age[i]) <= 6]
            if not options:
                return None
            partner = rng.choice(options)
            free.remove(partner)
            return partner

        for child in sorted((i for i, a in enumerate(age) if a < 20), key=lambda i: (-age[i], i)):
            siblings = [
                f
                for f in with_children
                if len(f.children) < 3
                and 22 <= age[f.head] - age[child] <= 45
                and min(age[c] for c in f.children) - age[child] >= 1
            ]
            if siblings and rng.random() < 0.6:
                rng.choice(siblings).children.append(child)
                continue
            parents = [i for i in free_adults if 22 <= age[i] - age[child] <= 42]
            guardians = parents or [i for i in free_adults + free_elders if age[i] - age[child] >= 18]
            if not guardians:
                families.append(_Family(child))  # nobody of a fitting age left: on their own
                continue
            head = rng.choice(guardians)
            (free_adults if head in free_adults else free_elders).remove(head)
            family = _Family(head, children=[child])
            if parents and rng.random() < 0.8:
                family.spouse = take_partner(head, free_adults)
            families.append(family)
            with_children.append(family)
        for elder in list(free_elders):
            if elder not in free_elders:
                continue
            hosts = [f for f in with_children if not f.parents and 20 <= age[elder] - age[f.head] <= 40]
            if hosts and rng.random() < 0.2:
                free_elders.remove(elder)
                rng.choice(hosts).parents.append(elder)
                continue
            free_elders.remove(elder)
            family = _Family(elder)
            if rng.random() < 0.55:
                family.spouse = take_partner(elder, free_elders)
            families.append(family)
        for adult in list(free_adults):
            if adult not in free_adults:
                continue
            free_adults.remove(adult)
            family = _Family(adult)
            if rng.random() < 0.45:
                family.spouse = take_partner(adult, free_adults)
            families.append(family)
        rng.shuffle(families)
        return families

    def population(self, size: int) -> tuple[list[PersonPlan], list[HouseholdPlan], list[UnitPlan]]:
        pool = self.ages_and_sexes(size)
        people: list[PersonPlan | None] = [None] * len(pool)
        households: list[HouseholdPlan] = []
        share = reference.county_population()
        counties = [c for c in self.counties if c["name_zh"] in share]
        placed = dict.fromkeys((c["name_zh"] for c in counties), 0)
        total_share = sum(share.values())
        for family in self.families(pool):
            members = family.members()
            # The county furthest below its share of the people placed so far (keeps small plans on target).
            done = sum(placed.values()) + len(members)
            county = max(counties, key=lambda c: share[c["name_zh"]] / total_share * done - placed[c["name_zh"]])
            placed[county["name_zh"]] += len(members)
            head_age, head_sex = pool[family.head]
            head = self.person(county, head_sex, self.birth_for_age(head_age))
            people[family.head] = head
            surname = next((s for s in self.names["surnames"] if s[0] == head.name[0]), None)
            for index in members[1:]:
                age, sex = pool[index]
                lineage = surname if index in family.children and head_sex == "M" else None
                people[index] = self.person(county, sex, self.birth_for_age(age), lineage)
            township = self.register_family(county, members, people)
            households.extend(self.insure_family(family, county, township, people))
        plans = [p for p in people if p is not None]
        assert len(plans) == len(pool), "every planned person belongs to exactly one family"
        self.people_planned += len(plans)  # the next slice's e-mail handles go on from here
        for person in plans:
            person.conditions = self.conditions(person)
        return plans, households, sorted(self.units_by_key.values(), key=lambda u: u.code)

    def insure_family(self, family: _Family, county: dict, township: str, people: list) -> list[HouseholdPlan]:
        """One NHI household for the head (with the dependents), one more for a spouse who works."""
        head = people[family.head]
        head_age = head.age_on(self.today)
        dependents: list[tuple[int, str]] = []
        out: list[HouseholdPlan] = []
        if family.spouse is not None:
            spouse = people[family.spouse]
            if spouse.age_on(self.today) < 65 and self.rng.random() < SPOUSE_WORKS[spouse.sex]:
                out.append(self._household(family.spouse, [], spouse.age_on(self.today), county, township, spouse))
            else:
                dependents.append((family.spouse, "spouse"))
        for child in family.children:
            gap = head_age - people[child].age_on(self.today)
            dependents.append((child, "grandchild" if gap > 45 else "child"))
        dependents += [(parent, "parent") for parent in family.parents]
        out.insert(0, self._household(family.head, dependents, head_age, county, township, head))
        return out

    def _household(self, insured: int, dependents, age: int, county: dict, township: str, person) -> HouseholdPlan:
        if age < 20:
            kind = "township"  # a young person on their own is insured through the township office
        else:
            options = INSURED_THROUGH["elderly" if age >= 65 else "working_age"]
            kind = self.rng.choices([o[0] for o in options], weights=[o[2] for o in options])[0]
        unit = self.unit(kind, county, township)
        salary = self.rng.choice(SALARY_GRADES[:8] if unit.category != 1 else SALARY_GRADES)
        since = max(person.birth_date + dt.timedelta(days=365 * 20), self.birth_for_age(self.rng.randint(0, 20)))
        since = max(min(since, self.history_start), person.birth_date)  # never before birth (a baby insured alone)
        return HouseholdPlan(insured, dependents, unit.code, unit.category, salary, since)

    def register_family(self, county: dict, members: list[int], people: list) -> str:
        """One registered address for the family, and each adult's own mobile, e-mail and certificate."""
        township = self.rng.choice(county["townships"])
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
            handle = (person.name_en.split(",")[0].lower() or "user") + f".{self.people_planned + index + 1}"
            person.email = f"{handle}@{self.rng.choice(['mail', 'post', 'inbox'])}.example.tw"
            if person.age_on(self.today) >= 18 and self.rng.random() < 0.3:
                person.certificate_serial = f"{self.rng.randrange(16**16):016X}"
        return township["name_zh"]


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder; ties to the earlier cell)."""
    whole = sum(weights)
    quotas = [total * w / whole for w in weights]
    counts = [int(q) for q in quotas]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def build_population(people: int, seed: int, today: dt.date, *, history: bool = True) -> Population:
    """Plan about ``people`` people with history up to the day before ``today``.

    ``history=False`` plans only people, households, cards and institutions: for tests that
    need a world to log in to, not three years of visits.
    """
    (population,) = plan_slices(people, seed, today, slice_people=max(people, 1), history=history)
    return population


def plan_slices(
    people: int, seed: int, today: dt.date, *, slice_people: int | None = None, history: bool = True
) -> Iterator[Population]:
    """The population of ``build_population`` planned ``slice_people`` people at a time, for a population whose
    whole plan would not fit in memory (about 87 records a person).

    One planner makes every slice: the institutions are planned once and shared, national IDs, card and
    household numbers, mobiles and record ids stay unique across slices, and an insurance unit met again is
    the same unit. Each slice is a population of its own as the pyramid and the counties shape it, its
    families formed among its people; a slice's households index its own people. A population of one slice
    is exactly ``build_population``'s.
    """
    slice_people = slice_people or SLICE_PEOPLE
    planner = Planner(seed, today)
    institutions = planner.institutions()
    by_county: dict[str, list[InstitutionPlan]] = defaultdict(list)
    for i in institutions:
        by_county[i.county].append(i)
    left = people
    while left > 0:
        size = min(slice_people, left)
        left -= size
        persons, households, units = planner.population(size)
        planner.batches = defaultdict(list)
        if history:
            for person in persons:
                planner.history(person, by_county)
        yield Population(seed, today, institutions, units, persons, households, dict(planner.batches))
        planner.batches = defaultdict(list)  # the slice's records belong to its loader now


def premium_months(today: dt.date, years: int = policy.SPAN_PREMIUM_PAYMENTS_YEARS) -> list[dt.date]:
    first = dt.date(today.year - years, today.month, 1)
    months, day = [], first
    while day < dt.date(today.year, today.month, 1):
        months.append(day)
        day = add_months(day, 1).replace(day=1)
    return months
