"""python manage.py generate_population --people N --seed S [--today YYYY-MM-DD] [--demo-logins]"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from cardagent.server import DEFAULT_ORIGINS as CARD_AGENT_DEFAULT_ORIGINS
from healthbank.access.models import Grant
from healthbank.accounts.models import OnlineAccount
from healthbank.core.masking import mask_name, mask_national_id
from healthbank.core.rocdate import format_roc_compact
from healthbank.demo import population
from healthbank.demo.card_replacement import describe_card_requests, set_up_card_requests
from healthbank.demo.cases import add_cases, add_showcase_cases
from healthbank.demo.certificates import set_up_certificates
from healthbank.demo.connect import set_up_health_app, set_up_tax_filing
from healthbank.demo.debit import set_up_debits
from healthbank.demo.loader import LoadingAside, LoadSummary, load_population, slice_tables
from healthbank.demo.population import plan_slices
from healthbank.demo.premiums import add_unpaid_premiums
from healthbank.demo.records import add_records, showcase_records
from healthbank.demo.township import describe_township_requests, set_up_township_requests
from healthbank.demo.vcard import describe_virtual_cards, set_up_virtual_cards
from healthbank.demo.world import DEMO_CERTIFICATE_PIN, World
from healthbank.external import certificates
from healthbank.identity.models import Enrolment, InsuranceUnit, Person
from healthbank.identity.services import current_card
from healthbank.records.auth import issue_api_key
from healthbank.records.bulk import BrokenKey, KeysCheckedAtEnd, bulk_collection
from healthbank.records.models import ApiClient, Institution, Visit
from healthbank.staff import roles
from healthbank.vcard.selectors import household_members

DEMO_OPERATOR = ("operator", "healthbank-demo")  # every office group: counter, records, registration, units
DEMO_COUNTER_CLERK = ("counter", "healthbank-counter")  # counter staff only: the counter view, no records
DEMO_UNIT_PASSWORD = "unit-demo-2026"  # noqa: S105 - a demo login, printed by design
DEMO_UNIT_ROWS = 3  # people of the demo unit written into the ready batch file
DEMO_CITIZEN_PASSWORD = "Hb-demo2026"  # noqa: S105 - the registration password of the pre-registered demo people
# Showcase people registered for online services already, so the passbook opens with their card and this
# password at /login/card/ (the others show the registration flow).
DEMO_REGISTERED = ("diabetes", "parent")
DEMO_PREMIUMS = "premiums"  # registered too when neither of those pays their own premium bill (demo/premiums.py)


class Command(BaseCommand):
    help = "Generate a synthetic Taiwanese population with three years of history (same seed, same people)."

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=300)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            metavar="YYYY-MM-DD",
            help="the day the history runs up to (default: today); same seed and day, same population",
        )
        parser.add_argument("--demo-logins", action="store_true", help="create the demo operator and print logins")

    def handle(self, *args, people: int, seed: int, demo_logins: bool, today: dt.date | None = None, **options):
        if people < 1:
            raise CommandError("--people must be at least 1")
        if isinstance(today, str):  # call_command passes the text through
            try:
                today = dt.date.fromisoformat(today)
            except ValueError:
                raise CommandError(f"--today must be a date as YYYY-MM-DD, not {today!r}") from None
        if today is not None and today > timezone.localdate():
            raise CommandError(f"--today {today.isoformat()} is in the future: institutions cannot send future visits")
        if Person.objects.exists():
            self.stdout.write("A population is already loaded; keeping it (delete var/ to start again).")
        else:
            day = today or timezone.localdate()
            summary, begun = LoadSummary(), time.perf_counter()
            # A large population is planned and loaded a slice of people at a time (demo/population.py
            # ``plan_slices``; a population of one slice is ``build_population``'s): the whole plan of a quarter of
            # a million people would not fit in memory.
            slices = plan_slices(people, seed, day)
            # On PostgreSQL each slice of several loads in a process of its own while this one plans the next
            # (``LoadingAside``); one slice, or SQLite's single writer, loads here.
            aside_ok = (
                people > population.SLICE_PEOPLE
                and connection.vendor == "postgresql"
                and not connection.in_atomic_block  # a caller's transaction (a test's) is seen by this process only
            )
            # The slices' tables load without their foreign keys, put back NOT VALID after the slices (every row
            # from there on is checked as it is written) and checked in one pass each (records.bulk.KeysCheckedAtEnd):
            # a new population that nothing else writes meanwhile.
            keys = KeysCheckedAtEnd(slice_tables()) if aside_ok else None
            with keys.while_loading() if keys is not None else contextlib.nullcontext():
                planned = self._load_slices(
                    slices, aside_ok=aside_ok, sliced=people > population.SLICE_PEOPLE, summary=summary, begun=begun
                )
            started = time.perf_counter()
            if connection.vendor == "postgresql":
                # The tables just loaded have no statistics yet (autovacuum comes later), so the steps below would
                # plan their look-ups as scans of millions of rows (0.3 s each at 250,000 people): gather them now.
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            analysed = time.perf_counter() - started
            # The rows already loaded are checked by PostgreSQL (one scan a key, in a thread and connection of its
            # own) while this process goes on with the steps below.
            checking = keys.check_aside() if keys is not None else None
            started = time.perf_counter()
            set_up_township_requests(seed, today)
            add_records(seed, day)
            summary.records.update(add_cases(seed, day))
            followed = time.perf_counter() - started
            if checking is not None:
                try:
                    checked = checking.result()
                except BrokenKey as exc:
                    raise CommandError(f"The population breaks a foreign key: {exc}") from exc
                self.stdout.write(
                    f"  statistics in {analysed:.0f} s; then the follow-up steps in {followed:.0f} s and, alongside,"
                    f" {len(keys.keys)} foreign keys checked in {checked:.0f} s"
                )
            self.stdout.write(
                f"Generated {summary.people} people in {summary.households} households, "
                f"{summary.institutions} institutions and {sum(summary.records.values())} records "
                f"(plan {planned:.1f} s, load {summary.seconds:.1f} s)."
            )
            for record_type, count in sorted(summary.records.items()):
                self.stdout.write(f"  {record_type:18} {count:7d}")
        if demo_logins:
            self._demo_logins()

    def _load_slices(self, slices, *, aside_ok: bool, sliced: bool, summary: LoadSummary, begun: float) -> float:
        """Plan and load the slices into ``summary``; the seconds spent planning."""
        aside, planned = None, 0.0
        with bulk_collection(), World(settings.EXTERNAL_DATA_DIR, settings.SIMULATED_CARDS_DIR) as world:
            while True:  # the plan and its rows: hundreds of thousands of objects made at once
                started = time.perf_counter()
                plan = next(slices, None)
                planned += time.perf_counter() - started
                if aside is not None:
                    summary.add(aside.result())
                    self.stdout.write(
                        f"  {summary.people} people in {time.perf_counter() - begun:.0f} s"
                        f" (plan {planned:.0f} s, load {summary.seconds:.0f} s, side by side)"
                    )
                    aside = None
                if plan is None:
                    break
                if aside_ok:
                    aside = LoadingAside(plan)
                else:
                    summary.add(load_population(plan))
                    if sliced:
                        self.stdout.write(
                            f"  {summary.people} people in {time.perf_counter() - begun:.0f} s"
                            f" (plan {planned:.0f} s, load {summary.seconds:.0f} s)"
                        )
                world.add(plan)
                del plan  # the next slice's plan takes its place, not its side
        return planned

    def _demo_logins(self) -> None:
        username, password = DEMO_OPERATOR
        _demo_staff(DEMO_OPERATOR, list(roles.ROLES))
        _demo_staff(DEMO_COUNTER_CLERK, [roles.COUNTER_STAFF])
        clinic = Institution.objects.filter(kind=Institution.Kind.CLINIC, specialty="western").order_by("code").first()
        ApiClient.objects.filter(name="demo key").delete()
        _, key = issue_api_key(name="demo key", institution=clinic)
        self.stdout.write("")
        site = settings.SITE_URL.rstrip("/")
        self.stdout.write(self.style.SUCCESS(f"HealthBank demo — {site}"))
        self.stdout.write(
            f"  NHI operator pages  {site}/admin/  user '{username}' password '{password}'  (all office groups)"
        )
        self.stdout.write(
            f"                      user '{DEMO_COUNTER_CLERK[0]}' password '{DEMO_COUNTER_CLERK[1]}'"
            "  (counter staff only: counter view, no records)"
        )
        _demo_news()
        self.stdout.write(f"  Ingestion API docs  {site}/api/docs/  as {clinic.code} {clinic.name}:")
        self.stdout.write(f"    Authorization: Bearer {key}")
        agent = card_agent_command(site)
        self.stdout.write(
            "  Demo people (search the operator pages by name; register at /register/ with their card,"
            f" or, marked *, log in at {site}/login/card/ with their card and password '{DEMO_CITIZEN_PASSWORD}'):"
        )
        registered_people: list[tuple[str, Person]] = []
        showcase = _showcase()
        registering = [p for label, p in showcase if label.split(":")[0] in DEMO_REGISTERED]
        showcase += add_unpaid_premiums(registering, shown=[p for _label, p in showcase])
        for label, person in showcase:
            card = current_card(person)
            role = label.split(":")[0].split(" ")[0]
            registered = role in (*DEMO_REGISTERED, DEMO_PREMIUMS) and _register_for_demo(person)
            if registered and role in DEMO_REGISTERED:  # the virtual-card demo's people
                registered_people.append((role, person))
            self.stdout.write(
                f"  {'*' if registered else ' '} {person.name:6} {mask_national_id(person.national_id):11}"
                f" {person.birth_date}  {label}"
            )
            if card is not None:
                self.stdout.write(
                    f"      {agent} --card {_shown(settings.SIMULATED_CARDS_DIR / f'{card.card_number}.json')}"
                )
        # After the demo people are registered: the unit's ready file names people not yet registered, and a
        # showcase person (picked by their records) may be enrolled at that unit.
        self._demo_unit(site)
        holder = _certificate_holder()
        if holder is not None:
            person, serial = holder
            certificate = _shown(settings.EXTERNAL_DATA_DIR / "certificates" / f"{serial}.json")
            self.stdout.write(
                f"  Citizen certificate (PIN {DEMO_CERTIFICATE_PIN}) of {person.name} for /login/certificate/:\n"
                f"      {agent} --certificate {certificate}"
            )
        add_showcase_cases([person for _, person in registered_people], timezone.localdate())
        for line in describe_virtual_cards(set_up_virtual_cards(registered_people, clinic), site):
            self.stdout.write(line)
        set_up_certificates(registered_people)
        for line in set_up_tax_filing():
            self.stdout.write(line)
        for line in set_up_health_app():
            self.stdout.write(line)
        for line in set_up_debits([person for _role, person in registered_people]):
            self.stdout.write(line)
        showcase_records([person for _role, person in registered_people], timezone.localdate())
        for line in describe_card_requests(set_up_card_requests(), site, username):
            self.stdout.write(line)
        for line in describe_township_requests(site, username):
            self.stdout.write(line)
        self.stdout.write(f"  Kiosk: {site}/kiosk/ with a card and its owner's household number.")
        self.stdout.write(
            f"  App: {site}/app/ on a phone (or a 360-pixel window): log in on the site as a * person above, open"
            f" {site}/me/devices/, generate a code, then scan or type it in the app (docs/app.md)."
        )
        registry = _shown(settings.EXTERNAL_DATA_DIR / "household_registry.csv")
        self.stdout.write(f"  Household numbers and registered addresses: {registry};")
        self.stdout.write(
            f"  confirmation e-mails: {_shown(Path(getattr(settings, 'EMAIL_FILE_PATH', settings.VAR_DIR / 'mail')))}/."
        )

    def _demo_unit(self, site: str) -> None:
        """The employer with the most people enrolled, its login, a few of its people and a ready batch file."""
        today = timezone.localdate()
        current = Q(enrolments__started_on__lte=today) & (
            Q(enrolments__ended_on__isnull=True) | Q(enrolments__ended_on__gte=today)
        )
        unit = (
            InsuranceUnit.objects.filter(kind=InsuranceUnit.Kind.EMPLOYER)
            .annotate(enrolled=Count("enrolments", filter=current))
            .order_by("-enrolled", "code")
            .first()
        ) or InsuranceUnit.objects.order_by("code").first()
        unit.portal_password = make_password(DEMO_UNIT_PASSWORD)
        unit.contact_email = unit.contact_email or "hr@unit.example.tw"
        unit.save(update_fields=["portal_password", "contact_email"])
        self.stdout.write(
            f"  Insurance unit      {site}/unit/login/  code '{unit.code}' password '{DEMO_UNIT_PASSWORD}'"
            f" ({unit.name})"
        )
        rows = []
        enrolments = (
            Enrolment.objects.filter(unit=unit, started_on__lte=today, person__online_account__isnull=True)
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=today))
            .select_related("person")
            .order_by("person__birth_date", "pk")
        )
        for enrolment in enrolments:
            person = enrolment.person
            if person.age_on(today) < 15:
                continue
            rows.append(person)
            if len(rows) == DEMO_UNIT_ROWS:
                break
        if not rows:
            return
        folder = settings.VAR_DIR / "unit-batch"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{unit.code}{format_roc_compact(today)}.csv"
        lines = [f"{p.national_id},{_demo_email(p)}" for p in rows]
        path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
        os.chmod(path, 0o600)  # full (synthetic) national IDs, like the simulators' files
        people = ", ".join(f"{mask_name(p.name)} {mask_national_id(p.national_id)}" for p in rows)
        self.stdout.write(f"    enrolled there, not yet registered: {people}")
        self.stdout.write(f"    ready batch file for them (upload it as it is): {_shown(path)}")


def card_agent_command(site: str) -> str:
    """The card-agent command for this site: the agent answers only pages from the origins it is given."""
    parts = urlsplit(site)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    command = ".venv/bin/python -m cardagent"
    return command if origin in CARD_AGENT_DEFAULT_ORIGINS else f"{command} --origin {origin}"


def _shown(path: Path) -> str:
    """A path as the person running the demo types it: relative to the project when it lies inside."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _demo_email(person: Person) -> str:
    return f"staff.{str(person.pk)[-8:]}@unit.example.tw"


def _demo_staff(login: tuple[str, str], groups: list[str]) -> None:
    """A staff user (never a superuser) in exactly ``groups``, so the demo shows what each role may do."""
    username, password = login
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@healthbank.example", "is_staff": True}
    )
    if created:
        user.set_password(password)
    user.is_staff, user.is_superuser = True, False  # an older demo made the operator a superuser
    user.save()
    user.groups.set(Group.objects.filter(name__in=groups))


def _certificate_holder() -> tuple[Person, str] | None:
    """The first person with a simulated citizen certificate, and its serial."""
    path = settings.EXTERNAL_DATA_DIR / certificates.FILE_NAME
    if not path.exists():
        return None
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            person = Person.objects.by_national_id(row["national_id"]).first()
            if person is not None and row["revoked"] != "1":
                return person, row["serial"]
    return None


def _showcase() -> list[tuple[str, Person]]:
    """A handful of people whose histories show the main kinds of records."""
    picks: list[tuple[str, Person]] = []
    seen: set = set()
    queries = [
        ("diabetes: refills, HbA1c and lipid trends", Visit.objects.filter(diagnoses__icd10__startswith="E11")),
        ("hepatitis B carrier: ALT and HBeAg", Visit.objects.filter(diagnoses__icd10="B18.1")),
        ("chronic kidney disease: creatinine, eGFR, UACR", Visit.objects.filter(diagnoses__icd10__startswith="N18")),
        (
            "inpatient stay with surgery",
            Visit.objects.filter(kind="inpatient", non_drug_orders__body_site__isnull=False),
        ),
        ("Chinese medicine: herbal formulae", Visit.objects.filter(kind="chinese")),
        ("dental visits with teeth treated", Visit.objects.filter(kind="dental", non_drug_orders__tooth__isnull=False)),
    ]
    for label, visits in queries:
        person_id = visits.exclude(person_id__in=seen).values_list("person_id", flat=True).first()
        if person_id:
            seen.add(person_id)
            picks.append((label, Person.objects.get(pk=person_id)))
    # The first parent whose child is still in their NHI household today: the demo's later steps (township-office
    # transfers and suspensions) may have moved a household, and the parent's card page shows a household's child.
    today = timezone.localdate()
    grants = (
        Grant.objects.filter(why=Grant.Why.CHILD_UNDER_15, valid_until__gt=timezone.now())
        .exclude(grantee_person_id__in=seen)
        .select_related("person", "grantee_person")
        .order_by("person__birth_date", "pk")
    )
    grant = next(
        (g for g in grants[:200] if g.person in household_members(g.grantee_person, today)),
        None,
    )
    if grant is not None:
        child = grant.person
        picks.append(
            (f"parent: opens their own passbook and {mask_name(child.name)}'s (under 15)", grant.grantee_person)
        )
    return picks


# Health news on the passbook's home page, as the NHI's content editors would write it (demo text).
DEMO_NEWS = (
    (
        "慢性病連續處方箋可提前10天領藥",
        "Chronic continuous prescriptions: collect a refill from 10 days before",
        "第2、3次領藥可於前次給藥用罄前10日內，持處方箋至原院所或健保特約藥局領取。",
        "The 2nd and 3rd fill may be collected within 10 days before the previous supply runs out, "
        "at the prescribing institution or any NHI-contracted pharmacy.",
        60,
    ),
    (
        "成人預防保健：40至64歲每3年1次",
        "Adult preventive care: every 3 years from 40 to 64",
        "30至39歲每5年1次、40至64歲每3年1次、65歲以上每年1次，可至提供成人預防保健服務的醫事機構檢查。",
        "Ages 30-39 once every 5 years, 40-64 once every 3 years, 65 and over every year, at institutions "
        "offering adult preventive care.",
        20,
    ),
)


def _demo_news() -> None:
    from healthbank.passbook.models import HealthNews

    today = timezone.localdate()
    for title_zh, title_en, body_zh, body_en, days_ago in DEMO_NEWS:
        HealthNews.objects.get_or_create(
            title_zh=title_zh,
            defaults={
                "title_en": title_en,
                "body_zh": body_zh,
                "body_en": body_en,
                "published_on": today - dt.timedelta(days=days_ago),
                "is_published": True,
            },
        )


def _register_for_demo(person: Person) -> bool:
    """Register ``person`` for online services with the demo password (as the counter would)."""
    now = timezone.now()
    OnlineAccount.objects.get_or_create(
        person=person,
        defaults={
            "status": OnlineAccount.Status.ACTIVE,
            "channel": OnlineAccount.Channel.COUNTER,
            "password": make_password(DEMO_CITIZEN_PASSWORD),
            "email": f"demo.{str(person.pk)[-8:]}@example.tw",
            "created_at": now,
            "activated_at": now,
            "password_changed_at": now,
        },
    )
    return True
