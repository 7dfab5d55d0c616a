"""Township-office enrolment in the demo (issue 11): a share of the people insured at a township office (category 6)
have requests — decided ones in their history, open ones waiting in the office's queue for the demo operator
(who holds every office group, the township officers' included).

History follows the rules as they were: suspensions for going abroad made before 2024-12-23 (NHI Enforcement
Rules art. 36-1), resumed on the day of return, and the enrolment rows split to match (the months suspended
are not billed); a few people are still abroad and may ask to resume. Open requests go through
``township.submit_request`` like any request. Every document is a one-page PDF marked 樣本 SPECIMEN.

Running it again adds nothing for a person who has any request already.
"""

from __future__ import annotations

import datetime as dt
import io
import random

from django.db import transaction
from django.utils import timezone

from healthbank.accounts.models import OnlineAccount
from healthbank.identity.models import Enrolment, InsuranceUnit, Person
from healthbank.insurance import documents, township
from healthbank.insurance.models import PremiumCalculation, PremiumPayment, TownshipRequest
from healthbank.insurance.township_rules import ONE_DAY, add_months
from healthbank.staff import roles

SHARE_WITH_HISTORY = 0.2  # of the people insured at a township office as the insured person
OPEN_IN_QUEUE = 12  # at most this many open requests (the queue stays readable)
STILL_ABROAD_SHARE = 0.2  # of the suspensions: not back yet
REJECTED_REASONS = ["戶籍謄本影像模糊，請重新上傳清晰的文件。", "在職證明未載明到職日期，請補件。"]

Kind, Status, Reason = TownshipRequest.Kind, TownshipRequest.Status, TownshipRequest.Reason


def specimen_pdf(title: str) -> bytes:
    """A one-page PDF that says what it stands for (Latin text, the standard Helvetica), with a correct xref."""
    text = f"BT /F1 18 Tf 72 760 Td (HealthBank demo document - SPECIMEN) Tj 0 -28 Td ({title}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


_TITLES = {
    Kind.ENROL: "Household registration transcript",
    Kind.TRANSFER_OUT: "Proof of enrolment at the new unit",
    Kind.SUSPEND: "Flight itinerary and passport page",
    Kind.RESUME: "Entry record",
}


def _document(kind: str) -> tuple[str, str]:
    return documents.store_document(io.BytesIO(specimen_pdf(_TITLES[kind])))


def _email(person: Person) -> str:
    account = OnlineAccount.objects.filter(person=person).values_list("email", flat=True).first()
    return account or f"demo.{str(person.pk)[-8:]}@example.tw"


def _moment(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _decided(person: Person, kind: str, unit, *, effective_on, submitted_on, status=Status.APPROVED, **extra):
    name, document_type = _document(kind)
    return TownshipRequest.objects.create(
        person=person,
        requested_by=person,
        kind=kind,
        status=status,
        unit=unit,
        effective_on=effective_on,
        document=name,
        document_type=document_type,
        email=_email(person),
        submitted_at=_moment(submitted_on),
        reviewed_at=_moment(submitted_on + dt.timedelta(days=3), 15),
        **extra,
    )


def _unbill(person: Person, first: dt.date, last: dt.date) -> None:
    """The months of a suspension are not billed: drop the person's premium rows of those whole months."""
    months = PremiumCalculation.objects.filter(person=person, month__gte=first.replace(day=1), month__lte=last)
    PremiumPayment.objects.filter(calculation__in=months).delete()
    months.delete()


def _abroad(rng: random.Random, enrolment: Enrolment, today: dt.date) -> None:
    """A suspension for going abroad made before art. 36-1, resumed on return (or still abroad)."""
    person = enrolment.person
    earliest = max(enrolment.started_on + dt.timedelta(days=60), dt.date(2022, 1, 10))
    latest = dt.date(2024, 12, 1)
    if earliest >= latest:
        return
    left = earliest + dt.timedelta(days=rng.randrange((latest - earliest).days))
    planned = add_months(left, rng.choice([6, 8, 12, 24]))
    back = planned + dt.timedelta(days=rng.randrange(-10, 40))
    suspension = _decided(
        person,
        Kind.SUSPEND,
        enrolment.unit,
        effective_on=left,
        submitted_on=left - dt.timedelta(days=rng.randrange(5, 30)),
        reason=Reason.ABROAD,
        event_on=left,
        planned_return_on=planned,
        enrolment=enrolment,
    )
    enrolment.ended_on = left - ONE_DAY
    enrolment.save(update_fields=["ended_on"])
    still_abroad = rng.random() < STILL_ABROAD_SHARE or back >= today
    _unbill(person, left, today if still_abroad else back)
    if still_abroad:
        return
    resumed = Enrolment.objects.create(
        person=person,
        household=enrolment.household,
        unit=enrolment.unit,
        category=enrolment.category,
        role=enrolment.role,
        relationship=enrolment.relationship,
        insured_salary=enrolment.insured_salary,
        started_on=back,
    )
    _decided(
        person,
        Kind.RESUME,
        enrolment.unit,
        effective_on=back,
        submitted_on=min(back + dt.timedelta(days=rng.randrange(0, 10)), today),
        reason=suspension.reason,
        event_on=back,
        enrolment=resumed,
    )


def _rejected_transfer(rng: random.Random, enrolment: Enrolment, today: dt.date) -> None:
    asked = today - dt.timedelta(days=rng.randrange(40, 400))
    if asked <= enrolment.started_on:
        return
    _decided(
        enrolment.person,
        Kind.TRANSFER_OUT,
        enrolment.unit,
        effective_on=asked + dt.timedelta(days=10),
        submitted_on=asked,
        status=Status.REJECTED,
        reason=Reason.EMPLOYED,
        event_on=asked + dt.timedelta(days=10),
        rejection_reason=rng.choice(REJECTED_REASONS),
    )


def _open_request(rng: random.Random, person: Person, today: dt.date) -> bool:
    """One request waiting in the queue, made as the person would make it today."""
    kinds = township.kinds_open_to(person, today)
    try:
        if Kind.RESUME in kinds:
            suspension = township.open_suspension(person, today)
            back = max(suspension.effective_on, today - dt.timedelta(days=rng.randrange(1, 20)))
            township.submit_request(
                person, person, kind=Kind.RESUME, event_on=back,
                document=io.BytesIO(specimen_pdf(_TITLES[Kind.RESUME])), email=_email(person),
            )  # fmt: skip
        elif Kind.TRANSFER_OUT in kinds:
            reason = rng.choice([Reason.EMPLOYED, Reason.MOVED])
            township.submit_request(
                person, person, kind=Kind.TRANSFER_OUT, reason=reason,
                event_on=today + dt.timedelta(days=rng.randrange(1, 25)),
                document=io.BytesIO(specimen_pdf(_TITLES[Kind.TRANSFER_OUT])), email=_email(person),
            )  # fmt: skip
        else:
            return False
    except township.TownshipRefused:
        return False
    return True


def set_up_township_requests(seed: int, today: dt.date | None = None) -> int:
    """Give a share of the category-6 insured people township-office requests; how many requests were made."""
    today = today or timezone.localdate()
    rng = random.Random(f"township-{seed}")
    enrolments = list(
        Enrolment.objects.filter(
            unit__kind=InsuranceUnit.Kind.TOWNSHIP, role=Enrolment.Role.INSURED, ended_on__isnull=True,
            started_on__lte=today,
        )
        .exclude(person__died_on__isnull=False)
        .select_related("person", "unit", "household")
        .order_by("person__national_id_hash")
    )  # fmt: skip
    asked = set(TownshipRequest.objects.values_list("person_id", flat=True))
    before = TownshipRequest.objects.count()
    waiting = TownshipRequest.objects.filter(status=Status.SUBMITTED).count()
    for enrolment in enrolments:
        person = enrolment.person
        if person.pk in asked or rng.random() >= SHARE_WITH_HISTORY:
            continue
        with transaction.atomic():
            story = rng.random()
            if story < 0.5:
                _abroad(rng, enrolment, today)
            elif story < 0.65:
                _rejected_transfer(rng, enrolment, today)
        if waiting < OPEN_IN_QUEUE and rng.random() < 0.5 and _open_request(rng, person, today):
            waiting += 1
    return TownshipRequest.objects.count() - before


def describe_township_requests(site: str, operator: str) -> list[str]:
    """The demo printout's lines: the township offices' open requests, and who can decide them."""
    queue = TownshipRequest.objects.filter(status=Status.SUBMITTED).select_related("person", "unit")
    waiting = list(queue.order_by("submitted_at"))
    if not waiting:
        return []
    lines = [
        f"  Township-office enrolment: {len(waiting)} requests wait at {site}/admin/insurance/townshiprequest/"
        f" — decide as user '{operator}' (group {roles.TOWNSHIP_OFFICERS})"
    ]
    for row in waiting[:5]:
        lines.append(f"    {row.person.masked_name:6} {row.person.national_id_masked:11} {row.kind:10} {row.unit.name}")
    return lines
