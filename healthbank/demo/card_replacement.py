"""Demo data of 健保卡補發及更換照片 (SPEC §10): a few card requests waiting in the operator's queue.

Made when the demo logins are printed, through the same service a person uses (photo checked and re-encoded),
and only once: a run that finds requests waiting adds none. The reasons chosen (a new photo, a worn or faulty
card) leave the old card working until an operator approves, so the demo people's simulated cards still log
in; approving one in the demo shows the old card stop working.
"""

from __future__ import annotations

import io

from django.utils import timezone

from healthbank.core import codes
from healthbank.identity.models import Enrolment, Person
from healthbank.insurance import card_replacement as service
from healthbank.insurance.models import CardReplacementRequest
from healthbank.staff import roles

from .vcard import portrait_png

DEMO_REQUESTS = 4
_REASONS = ("photo", "damaged", "defective", "photo")
_STREETS = ("中正路", "民生路", "中山路", "和平東路", "復興路", "光明街")


def _candidates() -> list[Person]:
    """Insured people now, with a card and no waiting request; one of them a dependent child (the insured applies)."""
    today = timezone.localdate()
    current = Enrolment.objects.filter(started_on__lte=today, ended_on__isnull=True)
    return list(
        Person.objects.filter(pk__in=current.values("person_id"), cards__isnull=False, died_on__isnull=True)
        .exclude(card_replacements__status=CardReplacementRequest.Status.SUBMITTED)
        .distinct()
        .order_by("national_id_hash")[: DEMO_REQUESTS * 3]
    )


def _applicant_for(person: Person) -> Person:
    """A child's request is made by the insured person of the household; an adult applies themselves."""
    enrolment = (
        Enrolment.objects.filter(person=person, ended_on__isnull=True, role=Enrolment.Role.DEPENDENT)
        .select_related("household__person")
        .first()
    )
    if enrolment is not None and person.age_on(timezone.localdate()) < 18:
        return enrolment.household.person
    return person


def _address(index: int) -> dict:
    counties = codes.counties()
    county = counties[index * 7 % len(counties)]
    township = county["townships"][index * 3 % len(county["townships"])]
    street = f"{_STREETS[index % len(_STREETS)]}{index * 17 % 300 + 1}號"
    return {"county": county["name_zh"], "township": township["name_zh"], "village": "", "street": street}


def set_up_card_requests() -> list[CardReplacementRequest]:
    """A few waiting requests (none added when some already wait): the operator's queue is never empty."""
    waiting = list(CardReplacementRequest.objects.filter(status=CardReplacementRequest.Status.SUBMITTED))
    if waiting:
        return waiting
    made: list[CardReplacementRequest] = []
    for index, person in enumerate(_candidates()):
        if len(made) >= DEMO_REQUESTS:
            break
        reason = _REASONS[len(made)]
        try:
            made.append(
                service.submit_request(
                    _applicant_for(person),
                    person,
                    reason=reason,
                    photo=io.BytesIO(portrait_png(person)),
                    address=_address(index),
                    fee_accepted=True,
                )
            )
        except service.CardRequestRefused:
            continue
    return made


def describe_card_requests(requests: list[CardReplacementRequest], site: str, operator: str) -> list[str]:
    """The demo printout's lines: who can decide, and the masked people waiting."""
    lines = [
        f"  NHI card replacement: {len(requests)} requests wait at {site}/admin/insurance/cardreplacementrequest/"
        f" — decide as user '{operator}' (group {roles.CARD_REPLACEMENT_REVIEWERS})"
    ]
    for row in requests:
        lines.append(
            f"    {row.person.masked_name:6} {row.person.national_id_masked:11} {row.reason:10} NT${row.fee}"
            + (f"  (applied for by {row.applicant.masked_name})" if row.on_behalf else "")
        )
    return lines
