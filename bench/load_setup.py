"""The load test's cast (run by bench/load.py after generate_population, with the load environment's settings).

Writes one JSON file (the path is the first argument) that bench/locustfile.py reads; Locust itself never
imports Django. What it holds:

- ``citizens``: ``LOAD_ACCOUNTS`` adults (20-79, with a current card) drawn with a fixed seed, each given an
  active online registration with one password (as the tests' ``registered`` fixture does: the registration
  flow itself needs the e-mail round trip, which is not what is measured); their national ID, card number and
  person id. The web and app users log in with these over HTTP (captcha in test mode).
- ``kiosk``: other adults with their card file (the simulated card's private key, written by
  generate_population to ``HEALTHBANK_CARDS_DIR``) and household number (the household registry's file): the
  kiosk user signs the server's challenge as the card agent does.
- ``institutions``: ``LOAD_INSTITUTIONS`` clinics, each with a fresh ingestion API key, and ``patients``
  (national ID and current card number) they send visits for; ``codes``: a diagnosis, a drug and a
  consultation code from the shipped reference lists.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthbank.settings.load")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.utils import timezone  # noqa: E402

from healthbank.accounts.models import OnlineAccount  # noqa: E402
from healthbank.core import codes  # noqa: E402
from healthbank.external import adapter  # noqa: E402
from healthbank.identity.models import Person  # noqa: E402
from healthbank.identity.services import current_card  # noqa: E402
from healthbank.records.auth import issue_api_key  # noqa: E402
from healthbank.records.models import Institution  # noqa: E402

PASSWORD = "Load-2026-test"
ACCOUNTS = int(os.environ.get("LOAD_ACCOUNTS", "200"))
KIOSK_PEOPLE = int(os.environ.get("LOAD_KIOSK_PEOPLE", "100"))
INSTITUTIONS = int(os.environ.get("LOAD_INSTITUTIONS", "4"))
SEED = 12  # issue 12


def adults() -> list[Person]:
    today = timezone.localdate()
    found = Person.objects.filter(
        birth_date__lte=today.replace(year=today.year - 20), birth_date__gt=today.replace(year=today.year - 80)
    ).order_by("pk")
    return list(found)


def main(out: Path) -> None:
    people = adults()
    random.Random(SEED).shuffle(people)
    registry = adapter("household_registry")
    citizens, kiosk, patients = [], [], []
    password = make_password(PASSWORD)
    for index, person in enumerate(people):
        card = current_card(person)
        if card is None:
            continue
        national_id = person.national_id
        to_kiosk = index % 4 == 3 or len(citizens) >= ACCOUNTS  # every fourth adult walks up to a kiosk
        if not to_kiosk and not OnlineAccount.objects.filter(person=person).exists():
            OnlineAccount.objects.create(
                person=person,
                status="active",
                channel="online",
                password=password,
                email=f"load.{str(person.pk)[-12:]}@example.tw",
                mobile=getattr(person, "mobile", "") or "",
                created_at=timezone.now(),
                activated_at=timezone.now(),
            )
            citizens.append({"person": str(person.pk), "national_id": national_id, "card_number": card.card_number})
        elif len(kiosk) < KIOSK_PEOPLE:
            household = registry.household_of(national_id)
            card_file = settings.SIMULATED_CARDS_DIR / f"{card.card_number}.json"
            if household and card_file.exists():
                data = json.loads(card_file.read_text(encoding="utf-8"))
                kiosk.append(
                    {
                        "person": str(person.pk),
                        "national_id": data["national_id"],
                        "card_number": data["card_number"],
                        "private_key": data["private_key"],
                        "household_number": household,
                    }
                )
        patients.append({"national_id": national_id, "card_number": card.card_number})
        if len(citizens) >= ACCOUNTS and len(kiosk) >= KIOSK_PEOPLE and len(patients) >= 500:
            break
    clinics = list(Institution.objects.filter(kind=Institution.Kind.CLINIC, specialty="western").order_by("code"))
    institutions = []
    for clinic in clinics[:INSTITUTIONS]:
        _client, key = issue_api_key(name="load test", institution=clinic)
        institutions.append({"code": clinic.code, "key": key})
    known = {
        "icd": "J06.9" if "J06.9" in codes.diagnoses() else next(iter(codes.diagnoses())),
        "drug": next(d.code for d in codes.drugs().values() if d.atc_code),
        "payment": next(p.code for p in codes.payment_codes().values() if p.kind == "consultation"),
    }
    cast = {
        "password": PASSWORD,
        "citizens": citizens,
        "kiosk": kiosk,
        "institutions": institutions,
        "patients": patients,
        "codes": known,
        "visit_date": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
    }
    out.write_text(json.dumps(cast, ensure_ascii=False))
    print(
        f"load cast: {len(citizens)} registered citizens, {len(kiosk)} kiosk people, "
        f"{len(institutions)} institutions, {len(patients)} patients",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
