"""Certificates in the demo (issue 11): 中英文投保證明 and 保險費繳納證明 for a share of the population.

Issued through the certificates' own service, as the person would on the web: every registered demo person
has a Chinese certificate of the last two years of insurance (and an English one when their English name is
a passport spelling), the payer a premium payment certificate of last year; of everyone else insured now,
one in ``SHARE`` has a certificate too. Running again adds nothing for a person who has one already.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from healthbank.identity.models import Enrolment, Person
from healthbank.insurance import certificate_rules, certificates
from healthbank.insurance.models import IssuedDocument, PremiumPayment

SHARE = 10  # one insured person in ten has issued a certificate


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _issue_for(person: Person, today: dt.date, *, english: bool) -> int:
    issued = 0
    try:
        certificates.issue_insurance_certificate(
            person, person, date_from=_years_before(today, 2), date_to=today, language="zh-hant"
        )
        issued += 1
    except certificates.CertificateRefused:
        return 0  # not insured in those two years
    if english and person.name_en:
        try:
            name = certificate_rules.passport_name(person.name_en)
        except ValueError:
            name = ""
        if name:
            certificates.issue_insurance_certificate(
                person, person, date_from=_years_before(today, 1), date_to=today, language="en", passport_name=name
            )
            issued += 1
    last_year = today.year - 1
    if PremiumPayment.objects.filter(person=person, paid_on__year=last_year).exists():
        certificates.issue_premium_certificate(person, person, year=last_year, language="zh-hant")
        issued += 1
    return issued


def set_up_certificates(registered_people: list[tuple[str, Person]]) -> int:
    """Issue the demo's certificates; the number issued."""
    today = timezone.localdate()
    insured_now = list(
        Enrolment.objects.filter(ended_on__isnull=True).order_by("person_id").values_list("person_id", flat=True)
    )
    chosen = list(dict.fromkeys([p.pk for _role, p in registered_people] + insured_now[::SHARE]))
    has_one = set(IssuedDocument.objects.filter(person_id__in=chosen).values_list("person_id", flat=True))
    registered = {p.pk for _role, p in registered_people}
    issued = 0
    for person in Person.objects.filter(pk__in=[pk for pk in chosen if pk not in has_one]):
        issued += _issue_for(person, today, english=person.pk in registered or person.pk.int % 3 == 0)
    return issued
