"""Township-office enrolment (公所加保、轉出、停保、復保): the writes and the reads (SPEC §10, issue 11 service 4).

A person (or the insured person for a dependent) asks; the request waits in the township office's queue
(``insurance.admin.TownshipRequestAdmin``); an officer approves it, which changes the enrolment rows in one
transaction from ``effective_on``, or rejects it with a reason. Either way the person is told by e-mail.
Every refusal names a field; nothing is stored when one is raised. The dates are ``township_rules``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.core import codes
from healthbank.core.display import format_date
from healthbank.external import adapter
from healthbank.identity.models import Enrolment, InsuranceUnit, NhiHousehold, Person

from . import documents, township_notices
from . import township_rules as rules
from .models import TownshipRequest

Kind, Status, Reason = TownshipRequest.Kind, TownshipRequest.Status, TownshipRequest.Reason
REASONS = {Kind.TRANSFER_OUT: (Reason.EMPLOYED, Reason.MOVED), Kind.SUSPEND: (Reason.ABROAD, Reason.MISSING)}


class TownshipRefused(Exception):
    """A request that cannot be made or decided now: ``field`` and ``message`` for the person, ``status`` (API)."""

    def __init__(self, field: str, message: str, status: int = 400):
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


# ---------------------------------------------------------------- reads


def current_enrolment(person: Person, on: dt.date) -> Enrolment | None:
    """The person's enrolment in force on ``on`` (the newest when two overlap), with its unit."""
    return (
        Enrolment.objects.filter(person=person, started_on__lte=on)
        .exclude(ended_on__lt=on)
        .select_related("unit")
        .order_by("-started_on")
        .first()
    )


def open_suspension(person: Person, on: dt.date) -> TownshipRequest | None:
    """The approved suspension the person is still in: it ended their newest enrolment and nothing began since."""
    newest = Enrolment.objects.filter(person=person).order_by("-started_on").first()
    if newest is None or newest.ended_on is None or newest.ended_on >= on:
        return None
    return (
        TownshipRequest.objects.filter(person=person, kind=Kind.SUSPEND, status=Status.APPROVED, enrolment=newest)
        .select_related("unit")
        .first()
    )


def requests_of(person: Person) -> list[TownshipRequest]:
    """The person's township-office requests, newest first (the acting rule is the caller's)."""
    return list(TownshipRequest.objects.filter(person=person).select_related("unit").order_by("-submitted_at"))


def kinds_open_to(person: Person, on: dt.date) -> list[str]:
    """What the person may ask now (the page offers these): one answer from the same rules the request meets."""
    current = current_enrolment(person, on)
    if current is None:
        return [Kind.RESUME] if open_suspension(person, on) else [Kind.ENROL]
    if current.unit.kind == InsuranceUnit.Kind.TOWNSHIP and current.ended_on is None:
        return [Kind.TRANSFER_OUT, Kind.SUSPEND]
    return []


def township_choices() -> dict[str, list[str]]:
    """County → its townships (Chinese names, the official list of registration's drop-downs)."""
    return {c["name_zh"]: [t["name_zh"] for t in c["townships"]] for c in codes.counties()}


def township_office(county: str, township: str) -> InsuranceUnit:
    """The township office (鄉鎮市區公所) that insures people registered in ``township``: found, or added once.

    A unit added here has a code of its own: ``6`` + the county's and the township's places in the official list
    (a range the demo's serial codes never reach).
    """
    name = f"{county}{township}公所"
    found = InsuranceUnit.objects.filter(kind=InsuranceUnit.Kind.TOWNSHIP, county=county, name=name).first()
    if found is not None:
        return found
    for c_index, c in enumerate(codes.counties(), start=1):
        if c["name_zh"] == county:
            t_index = next(i for i, t in enumerate(c["townships"], start=1) if t["name_zh"] == township)
            code = f"6{c_index:02d}{t_index:03d}000"
            break
    else:  # pragma: no cover - callers check the county first
        raise ValueError(county)
    unit, _created = InsuranceUnit.objects.get_or_create(
        code=code, defaults={"name": name, "kind": InsuranceUnit.Kind.TOWNSHIP, "county": county}
    )
    return unit


def document_needed(kind: str, reason: str = "") -> str:
    """What the office reads before deciding (shown beside the upload, and to the officer)."""
    if kind == Kind.ENROL:
        return _("A household registration transcript (戶籍謄本) or both sides of the national ID card")
    if kind in REASONS and not reason:
        return "\n".join(
            _("%(reason)s: %(document)s") % {"reason": Reason(r).label, "document": document_needed(kind, r)}
            for r in REASONS[kind]
        )
    if kind == Kind.TRANSFER_OUT:
        if reason == Reason.MOVED:
            return _("A household registration transcript showing the move")
        return _("The new unit's proof of enrolment or an employment certificate")
    if kind == Kind.SUSPEND:
        if reason == Reason.MISSING:
            return _("The police record of the missing-person report")
        return _("The ticket or itinerary and the passport page")
    return _("The entry record or the passport's entry stamp")


# ---------------------------------------------------------------- asking


def _today() -> dt.date:
    return timezone.localdate()


def _check_date(value, field: str) -> dt.date:
    if value in (None, ""):
        raise TownshipRefused(field, _("Enter the date."))
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise TownshipRefused(field, _("Enter a date such as 2026-12-31.")) from None


def _township_current(person: Person, today: dt.date) -> Enrolment:
    current = current_enrolment(person, today)
    if current is None or current.unit.kind != InsuranceUnit.Kind.TOWNSHIP:
        raise TownshipRefused("kind", _("Only people insured at a township office (category 6) can ask this here."))
    if current.ended_on is not None:
        raise TownshipRefused(
            "kind",
            _("The cover at the township office already ends on %(day)s.") % {"day": format_date(current.ended_on)},
            409,
        )
    return current


def _plan_enrol(person: Person, today: dt.date, county: str, township: str) -> dict:
    towns = township_choices()
    if county not in towns:
        raise TownshipRefused("county", _("Choose a county or city from the list."))
    if township not in towns[county]:
        raise TownshipRefused("township", _("Choose a township of that county or city from the list."))
    current = current_enrolment(person, today)
    if current is not None:
        raise TownshipRefused(
            "kind",
            _("Already insured at %(unit)s since %(day)s: no enrolment is needed.")
            % {"unit": current.unit.name, "day": format_date(current.started_on)},
            409,
        )
    if open_suspension(person, today) is not None:
        raise TownshipRefused("kind", _("The insurance is suspended: ask to resume it instead."), 409)
    registered = adapter("household_registry").registered_address(person.national_id)
    if registered is not None and (registered.county, registered.township) != (county, township):
        raise TownshipRefused(
            "township",
            _("A township office insures the people registered in its township; the household registry has %(place)s.")
            % {"place": registered.county + registered.township},
        )
    previous = Enrolment.objects.filter(person=person, ended_on__isnull=False).order_by("-ended_on").first()
    starts = rules.enrolment_starts_on(today, previous.ended_on if previous else None)
    return {"unit": township_office(county, township), "effective_on": starts}


def _plan_transfer(person: Person, today: dt.date, reason: str, event_on) -> dict:
    current = _township_current(person, today)
    if reason not in REASONS[Kind.TRANSFER_OUT]:
        raise TownshipRefused("reason", _("Choose why the insurance moves away from the township office."))
    day = _check_date(event_on, "event_on")
    latest = today + dt.timedelta(days=policy.TOWNSHIP_TRANSFER_AHEAD_DAYS)
    if day <= current.started_on or day > latest:
        raise TownshipRefused(
            "event_on",
            _("The new cover starts after %(start)s and at the latest on %(latest)s.")
            % {"start": format_date(current.started_on), "latest": format_date(latest)},
        )
    return {"unit": current.unit, "effective_on": day, "event_on": day}


def _plan_suspend(requested_by: Person, person: Person, today: dt.date, reason: str, event_on, planned) -> dict:
    current = _township_current(person, today)
    if reason not in REASONS[Kind.SUSPEND]:
        raise TownshipRefused("reason", _("Choose why the insurance is suspended."))
    day = _check_date(event_on, "event_on")
    if day <= current.started_on:
        raise TownshipRefused(
            "event_on", _("The date is after the enrolment began (%(day)s).") % {"day": format_date(current.started_on)}
        )
    planned_return = None
    if reason == Reason.ABROAD:
        if not rules.abroad_suspension_open(today):
            raise TownshipRefused(
                "reason",
                _(
                    "Since 23 December 2024 the insurance cannot be suspended for going abroad (NHI Enforcement "
                    "Rules art. 36-1): the cover continues while you are abroad."
                ),
            )
        if day < today:
            raise TownshipRefused("event_on", _("Ask before leaving: the day of leaving is today or later."))
        planned_return = _check_date(planned, "planned_return_on")
        if not rules.abroad_long_enough(day, planned_return):
            shortest = rules.add_months(day, policy.TOWNSHIP_ABROAD_SUSPENSION_MIN_MONTHS)
            raise TownshipRefused(
                "planned_return_on",
                _("A suspension is for %(months)d months abroad or more: the planned return is on %(day)s or later.")
                % {"months": policy.TOWNSHIP_ABROAD_SUSPENSION_MIN_MONTHS, "day": format_date(shortest)},
            )
        resumed = (
            TownshipRequest.objects.filter(person=person, kind=Kind.RESUME, status=Status.APPROVED)
            .order_by("-effective_on")
            .values_list("effective_on", flat=True)
            .first()
        )
        if resumed is not None and day < rules.resuspension_allowed_from(resumed):
            raise TownshipRefused(
                "event_on",
                _("After a resumption the insurance runs %(months)d months before a new suspension (from %(day)s).")
                % {
                    "months": policy.TOWNSHIP_RESUSPENSION_AFTER_MONTHS,
                    "day": format_date(rules.resuspension_allowed_from(resumed)),
                },
            )
    else:
        if requested_by.pk == person.pk:
            raise TownshipRefused("reason", _("A missing person's suspension is asked by the insured person."))
        if day > today:
            raise TownshipRefused("event_on", _("The date is today or earlier."))
        if rules.missing_too_long(day, today):
            raise TownshipRefused(
                "event_on",
                _("Missing %(months)d months or more ends the insurance (NHI Act art. 13); ask the township office.")
                % {"months": policy.TOWNSHIP_MISSING_LONGEST_MONTHS},
            )
    return {"unit": current.unit, "effective_on": day, "event_on": day, "planned_return_on": planned_return}


def _plan_resume(person: Person, today: dt.date, event_on) -> dict:
    suspension = open_suspension(person, today)
    if suspension is None:
        raise TownshipRefused("kind", _("The insurance is not suspended: there is nothing to resume."), 409)
    day = _check_date(event_on, "event_on")
    if day > today or day < suspension.effective_on:
        raise TownshipRefused(
            "event_on",
            _("The day of return is between %(start)s and today.") % {"start": format_date(suspension.effective_on)},
        )
    starts, _cancelled = rules.resumption(suspension.reason, suspension.effective_on, day)
    return {"unit": suspension.unit, "effective_on": starts, "event_on": day, "reason": suspension.reason}


def submit_request(
    requested_by: Person,
    person: Person,
    *,
    kind: str,
    document,
    email: str,
    reason: str = "",
    county: str = "",
    township: str = "",
    event_on=None,
    planned_return_on=None,
    language: str = "",
) -> TownshipRequest:
    """申辦公所加保、轉出、停保、復保 — check the request against the rules, keep the document, queue it.

    The caller has applied the acting rule (``person`` is ``requested_by`` or their dependent now). One open
    request per person and kind (a unique constraint: two at once store one). Nothing stored when refused.
    """
    today = _today()
    if kind not in Kind.values:
        raise TownshipRefused("kind", _("Choose what to ask: enrol, transfer out, suspend or resume."))
    if TownshipRequest.objects.filter(person=person, kind=kind, status=Status.SUBMITTED).exists():
        raise TownshipRefused("kind", _("The same request is already waiting for the township office."), 409)
    if kind == Kind.ENROL:
        plan = _plan_enrol(person, today, (county or "").strip(), (township or "").strip())
    elif kind == Kind.TRANSFER_OUT:
        plan = _plan_transfer(person, today, reason, event_on)
    elif kind == Kind.SUSPEND:
        plan = _plan_suspend(requested_by, person, today, reason, event_on, planned_return_on)
    else:
        plan = _plan_resume(person, today, event_on)
    if kind in REASONS:
        plan["reason"] = reason
    email = (email or "").strip()
    try:
        validate_email(email)
        if len(email) > TownshipRequest._meta.get_field("email").max_length:  # the validator lets 320 through
            raise ValidationError("too long")
    except ValidationError:
        raise TownshipRefused("email", _("Enter an e-mail address such as name@example.com.")) from None
    try:
        name, document_type = documents.store_document(document, field="document")
    except documents.DocumentRefused as exc:
        raise TownshipRefused(exc.field, exc.message) from None
    try:
        with transaction.atomic():
            return TownshipRequest.objects.create(
                person=person,
                requested_by=requested_by,
                kind=kind,
                document=name,
                document_type=document_type,
                email=email,
                language=language or settings.LANGUAGE_CODE,
                submitted_at=timezone.now(),
                **plan,
            )
    except IntegrityError:  # the same request sent twice at once: one is kept
        documents.delete_document(name, document_type)
        raise TownshipRefused("kind", _("The same request is already waiting for the township office."), 409) from None
    except BaseException:
        documents.delete_document(name, document_type)
        raise


# ---------------------------------------------------------------- deciding


def _claim(operator, request: TownshipRequest, **changes) -> TownshipRequest:
    done = TownshipRequest.objects.filter(pk=request.pk, status=Status.SUBMITTED).update(
        reviewed_at=timezone.now(), reviewer=operator, **changes
    )
    if not done:
        raise TownshipRefused("status", _("This request was already decided."), 409)
    request.refresh_from_db()
    return request


def approve_request(operator, request: TownshipRequest) -> TownshipRequest:
    """Approve: the enrolment rows change from ``effective_on`` in this transaction, and the person is told.

    Enrol: a category-6 enrolment as the insured person at the office. Transfer out: the office's enrolment ends
    the day before the new cover (with the dependents insured under the person there). Suspend: it ends the day
    before leaving. Resume: a new enrolment like the suspended one from the day of return, or — back from
    abroad within six months — the suspended one runs on as if never suspended (註銷停保).
    """
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=request.person_id).first()  # one change of a person at a time
        request = _claim(operator, request, status=Status.APPROVED)
        person, day = request.person, request.effective_on
        if request.kind == Kind.ENROL:
            if current_enrolment(person, max(day, _today())) is not None:
                raise TownshipRefused("kind", _("The person is insured already; reject the request."), 409)
            household, _created = NhiHousehold.objects.get_or_create(person=person)
            enrolment = Enrolment.objects.create(
                person=person,
                household=household,
                unit=request.unit,
                category=Enrolment.Category.CAT6,
                role=Enrolment.Role.INSURED,
                relationship=Enrolment.Relationship.SELF,
                insured_salary=policy.TOWNSHIP_NOMINAL_INSURED_SALARY,
                started_on=day,
            )
        elif request.kind in (Kind.TRANSFER_OUT, Kind.SUSPEND):
            enrolment = current_enrolment(person, _today())
            if enrolment is None or enrolment.unit_id != request.unit_id or day <= enrolment.started_on:
                raise TownshipRefused("kind", _("The person is not insured at this office any more; reject it."), 409)
            ends = day - rules.ONE_DAY
            followers = Enrolment.objects.none()
            if request.kind == Kind.TRANSFER_OUT and enrolment.role == Enrolment.Role.INSURED:
                followers = Enrolment.objects.filter(household=enrolment.household, role=Enrolment.Role.DEPENDENT)
                followers = followers.filter(started_on__lte=ends).exclude(ended_on__lt=day)
            for row in [enrolment, *followers]:
                row.ended_on = ends
                row.save(update_fields=["ended_on"])
        else:
            suspension = open_suspension(person, _today())
            if suspension is None:
                raise TownshipRefused("kind", _("The person is not suspended any more; reject the request."), 409)
            suspended = suspension.enrolment
            if day == suspension.effective_on:  # 註銷停保: back within six months, insured throughout
                suspended.ended_on = None
                suspended.save(update_fields=["ended_on"])
                enrolment = suspended
            else:
                enrolment = Enrolment.objects.create(
                    person=person,
                    household=suspended.household,
                    unit=suspended.unit,
                    category=suspended.category,
                    role=suspended.role,
                    relationship=suspended.relationship,
                    insured_salary=suspended.insured_salary,
                    started_on=day,
                )
        request.enrolment = enrolment
        request.save(update_fields=["enrolment"])
        township_notices.request_decided(request)
    return request


def reject_request(operator, request: TownshipRequest, reason: str) -> TownshipRequest:
    """Reject with a reason the person reads; the document is deleted after the commit (nothing kept unneeded)."""
    reason = (reason or "").strip()
    if not reason:
        raise TownshipRefused("rejection_reason", _("Say why the request is rejected; the person reads it."))
    if len(reason) > policy.TOWNSHIP_REJECTION_REASON_MAX:
        raise TownshipRefused(
            "rejection_reason",
            _("The reason is at most %(n)d characters.") % {"n": policy.TOWNSHIP_REJECTION_REASON_MAX},
        )
    with transaction.atomic():
        # The person first, as approval does: the e-mail's row below needs a key-share lock on the person, which
        # an approval holding the person and waiting for this request would never give (a deadlock).
        Person.objects.select_for_update().filter(pk=request.person_id).first()
        request = _claim(operator, request, status=Status.REJECTED, rejection_reason=reason)
        township_notices.request_decided(request)
        name, kind = request.document, request.document_type
        transaction.on_commit(lambda: documents.delete_document(name, kind))
    return request
