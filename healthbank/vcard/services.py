"""Every write of the virtual card (SPEC §9): apply, review, issue and scan the one-time QR, institutions'
requests, delegations, ending early.

Each service takes the actor explicitly and decides nothing about access by
itself: whether someone may use a card is ``access.rules.may_use_card``, which
reads grants; these services only make and end grants. Limits are one atomic
step each (``accounts.limits``, the cache's set-if-absent, unique rows).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.access import rules
from healthbank.access.models import Grant
from healthbank.access.rules import Reader
from healthbank.access.services import NotReadable, end_grant, start_of_day
from healthbank.accounts import limits
from healthbank.assessments.dates import birthday
from healthbank.core import national_id as nid
from healthbank.core.categories import DataCategory
from healthbank.core.outage import OUTAGE_EXCEPTIONS
from healthbank.identity.models import Person
from healthbank.records.models import Institution

from . import keys, notices, photos, tokens
from .models import CardApplication, CardScan, Delegation, InstitutionRequest, Presenter
from .selectors import current_card, household_members

logger = logging.getLogger(__name__)

# What a scan or an accepted request lets the institution read (the visit's needs, nothing clinical).
VISIT_CATEGORIES = sorted([DataCategory.INSURANCE, DataCategory.CARDS])
MOBILE_DIGITS = 10


class CardRefused(Exception):
    """A step the person or institution cannot take now: ``field`` and ``message`` for them, ``status`` for the API.

    ``reason`` is a stable code for machines (the scan's reason codes, ``expired``, ``used`` ...).
    """

    def __init__(self, field: str, message: str, status: int = 400, reason: str = ""):
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status
        self.reason = reason or field


class CardUnavailable(Exception):
    """The one-time-use store (the cache) is away: issuing and scanning fail closed (503)."""


def _id_hash(value: str) -> str:
    return Person.hash_national_id(value)


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _now() -> dt.datetime:
    return timezone.now()


# ---------------------------------------------------------------- applying and review


def _clean_contacts(phone: str, email: str) -> tuple[str, str]:
    phone = (phone or "").strip().replace("-", "").replace(" ", "")
    if not (len(phone) == MOBILE_DIGITS and phone.isascii() and phone.isdigit() and phone.startswith("09")):
        raise CardRefused("phone", _("The mobile number is 10 digits starting with 09."))
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise CardRefused("email", _("Enter an e-mail address such as name@example.com.")) from None
    return phone, email


def submit_application(
    applicant: Person,
    person: Person,
    *,
    terms_accepted: bool,
    document: str,
    document_photo,
    portrait,
    phone: str,
    email: str,
    language: str = "",
) -> CardApplication:
    """申請虛擬健保卡 — check everything, keep the two photos (re-encoded), and queue the application for review.

    ``applicant`` is the person themselves or a member of their NHI household applying on their behalf
    (a child or an elder without a phone). Under 14 the half-body photo may be left out. Nothing is stored
    when anything is refused.
    """
    now = _now()
    today = timezone.localdate()
    if not terms_accepted:
        raise CardRefused("terms", _("Agree to the privacy terms and service policy to apply."))
    if applicant.pk != person.pk and person.pk not in {m.pk for m in household_members(applicant, today)}:
        raise CardRefused("person", _("You can apply only for yourself or a member of your NHI household."))
    if CardApplication.objects.filter(person=person, status=CardApplication.Status.APPROVED).exists():
        raise CardRefused("person", _("This person already has a virtual NHI card."), 409, "has_card")
    if CardApplication.objects.filter(person=person, status=CardApplication.Status.SUBMITTED).exists():
        raise CardRefused("person", _("An application for this person is already waiting for review."), 409, "waiting")
    if document not in CardApplication.Document.values:
        raise CardRefused("document", _("Choose which ID document the photo shows."))
    young = person.age_on(today) < policy.VCARD_PHOTO_ID_OPTIONAL_UNDER_AGE
    if document == CardApplication.Document.NHI_CARD and not young:
        raise CardRefused(
            "document",
            _("From age %(age)d the ID document is a national ID card, residence permit or passport.")
            % {"age": policy.VCARD_PHOTO_ID_OPTIONAL_UNDER_AGE},
        )
    if document_photo is None:
        raise CardRefused("document_photo", _("Upload a photo of the ID document."))
    if portrait is None and not young:
        raise CardRefused("portrait", _("Upload a clear front half-body photo."))
    phone, email = _clean_contacts(phone, email)
    stored: list[str] = []
    try:
        stored.append(photos.store_photo(document_photo, field="document_photo"))
        if portrait is not None:
            stored.append(photos.store_photo(portrait, field="portrait"))
        with transaction.atomic():
            return CardApplication.objects.create(
                person=person,
                applicant=applicant,
                document=document,
                document_photo=stored[0],
                portrait=stored[1] if len(stored) > 1 else "",
                phone=phone,
                email=email,
                language=language or settings.LANGUAGE_CODE,
                terms_accepted_at=now,
                submitted_at=now,
            )
    except photos.PhotoRefused as exc:
        for name in stored:
            photos.delete_photo(name)
        raise CardRefused(exc.field, exc.message) from None
    except IntegrityError:  # the same person's application submitted twice at once: one is kept
        for name in stored:
            photos.delete_photo(name)
        raise CardRefused(
            "person", _("An application for this person is already waiting for review."), 409, "waiting"
        ) from None
    except BaseException:
        for name in stored:
            photos.delete_photo(name)
        raise


def approve_application(operator, application: CardApplication) -> CardApplication:
    """Approve a waiting application: the person has a virtual card from now on, and is told by e-mail.

    A household member who applied on a dependent's behalf may use the card for ``VCARD_ON_BEHALF_VALID_FOR``
    (a grant like any delegation; the parent of a child under 15 already has one).
    """
    now = _now()
    with transaction.atomic():
        done = CardApplication.objects.filter(pk=application.pk, status=CardApplication.Status.SUBMITTED).update(
            status=CardApplication.Status.APPROVED, reviewed_at=now, reviewer=operator
        )
        if not done:
            raise CardRefused("status", _("This application was already reviewed."), 409, "reviewed")
        application.refresh_from_db()
        # A child's card is lent only until the 15th birthday (SPEC §9): the on-behalf use must not outlast it,
        # and the parent the child is insured under already holds that grant.
        fifteenth = start_of_day(birthday(application.person.birth_date, policy.CHILD_AUTO_VISIBLE_UNTIL_AGE))
        ends_at = now + policy.VCARD_ON_BEHALF_VALID_FOR
        if now < fifteenth:
            ends_at = min(ends_at, fifteenth)
        parent_holds_it = (
            rules.live_grants(now)
            .filter(person=application.person, grantee_person=application.applicant, why=Grant.Why.CHILD_UNDER_15)
            .exists()
        )
        if application.on_behalf and not parent_holds_it:
            delegation = Delegation.objects.create(
                person=application.person,
                kind=Delegation.Kind.ON_BEHALF,
                status=Delegation.Status.ACCEPTED,
                delegate=application.applicant,
                answer_by=now,
                starts_at=now,
                ends_at=ends_at,
                created_at=now,
                answered_at=now,
            )
            delegation.grant = _lend_card_to_person(delegation, Grant.Why.HOUSEHOLD_DELEGATION)
            delegation.save(update_fields=["grant"])
        notices.application_reviewed(application)
    return application


def reject_application(operator, application: CardApplication, reason: str) -> CardApplication:
    """Reject with a reason the person reads in the e-mail; the photos are deleted (nothing kept that is not needed)."""
    reason = (reason or "").strip()
    if not reason:
        raise CardRefused("rejection_reason", _("Say why the application is rejected; the person reads it."))
    if len(reason) > policy.VCARD_REJECTION_REASON_MAX:
        raise CardRefused(
            "rejection_reason",
            _("The reason is at most %(n)d characters.") % {"n": policy.VCARD_REJECTION_REASON_MAX},
        )
    now = _now()
    with transaction.atomic():
        done = CardApplication.objects.filter(pk=application.pk, status=CardApplication.Status.SUBMITTED).update(
            status=CardApplication.Status.REJECTED, reviewed_at=now, reviewer=operator, rejection_reason=reason
        )
        if not done:
            raise CardRefused("status", _("This application was already reviewed."), 409, "reviewed")
        application.refresh_from_db()
        notices.application_reviewed(application)
        names = [application.document_photo, application.portrait]
        transaction.on_commit(lambda: [photos.delete_photo(n) for n in names if n])
    return application


def stop_card(person: Person) -> None:
    """The person stops their virtual card: every code of it is void at once (the scan asks for an approved card)."""
    CardApplication.objects.filter(person=person, status=CardApplication.Status.APPROVED).update(
        status=CardApplication.Status.WITHDRAWN
    )


# ---------------------------------------------------------------- the one-time QR


@dataclass(frozen=True)
class IssuedQr:
    text: str
    token_id: str
    expires_at: dt.datetime
    holder: Person
    lent_by: Grant | None


def _latest_key(kind: str, issuer) -> str:
    return f"vcard:latest:{kind}:{issuer}"


def _guard_cache(step):
    """Run a cache step; the cache being away is a 503, never a code that could be used twice."""
    try:
        return step()
    except OUTAGE_EXCEPTIONS as exc:
        logger.warning("virtual card: the one-time-use store is away (%s)", type(exc).__name__)
        raise CardUnavailable from exc


def issue_card_qr(user: Person, holder: Person, *, device=None) -> IssuedQr:
    """出示 QR Code — a new one-time code of ``holder``'s card for ``user`` (the holder, or someone it is lent to).

    Valid ``VCARD_QR_VALID_FOR`` and for one scan; a newer code from the same phone (or the same delegate)
    voids the older one. ``NotReadable`` (404) when ``user`` may not use the card.
    """
    access = rules.may_use_card(Reader.person(user), holder)
    if access is None:
        raise NotReadable
    if current_card(holder) is None:
        raise CardRefused("card", _("There is no approved virtual NHI card for this person."), 409, "no_card")
    count, window = policy.VCARD_QR_ISSUE_RATE
    if _guard_cache(lambda: limits.hit(f"vcard-qr:{user.pk}", window)) > count:
        raise CardRefused("card", _("Too many codes in a short time; wait a few minutes."), 429, "throttled")
    if access.is_self:
        kind, issuer = ("holder_app", device.pk) if device is not None else ("holder_web", holder.pk)
    else:
        kind, issuer = "grantee", access.grant.pk
    now = _now()
    expires = int((now + policy.VCARD_QR_VALID_FOR).timestamp())
    token = tokens.CardToken(secrets.token_hex(16), holder.pk, kind, issuer, expires)
    ring = keys.ring()
    text = tokens.sign(token, ring.signing, settings.VCARD_ENVIRONMENT)
    seconds = int(policy.VCARD_QR_VALID_FOR.total_seconds()) + 5
    _guard_cache(lambda: cache.set(_latest_key(kind, issuer), token.token_id, timeout=seconds))
    return IssuedQr(text, token.token_id, dt.datetime.fromtimestamp(expires, tz=dt.UTC), holder, access.grant)


@dataclass(frozen=True)
class ScanResult:
    scan: CardScan
    holder: Person
    card: CardApplication
    summary: dict


def _refuse_token(reason: str, status: int = 422) -> CardRefused:
    messages = {
        "malformed": _("This is not a virtual NHI card code, or it was not read whole."),
        "wrong_environment": _("This code was made by another HealthBank system (for example a test system)."),
        "unknown_key": _("This code was signed with a key that is not published (any more)."),
        "bad_signature": _("This code is forged or altered."),
        "expired": _("This code has expired; ask for a new one."),
        "already_used": _("This code was used already; ask for a new one."),
        "superseded": _("A newer code was made on this phone; scan that one."),
        "no_card": _("This person has no valid virtual NHI card."),
        "not_lent": _("The right to use this person's card has ended."),
    }
    return CardRefused("qr", messages[reason], 409 if reason == "already_used" else status, reason)


def scan_card_qr(institution: Institution, text: str, *, address: str = "") -> ScanResult:
    """院所掃描 — check a card QR and use it up, once; what the visit needs, read through the access rule.

    The token is checked offline first (form, environment, key, signature, expiry); then the holder's card
    and the right of whoever made the code; then it is used up twice over: set-if-absent in the cache (the
    fast, shared answer) and a row keyed by the token id (the durable one). The institution gets a grant for
    the visit (read the insurance status, upload the visit with the code's id) and the read is logged.
    """
    if not institution.accepts_virtual_card:
        raise CardRefused(
            "institution",
            _("This institution is not on the list of those that accept the virtual NHI card."),
            403,
            "not_accepting",
        )
    ring = keys.ring()
    now = _now()
    try:
        token = tokens.read(text, ring.published, settings.VCARD_ENVIRONMENT, now.timestamp())
    except tokens.TokenRefused as exc:
        raise _refuse_token(exc.reason) from None
    holder = Person.objects.filter(pk=token.holder).first()
    card = current_card(holder) if holder is not None else None
    if card is None:
        raise _refuse_token("no_card")
    lent_by = None
    presenter = Presenter.HOLDER_APP if token.issuer_kind == "holder_app" else Presenter.HOLDER_WEB
    if token.issuer_kind == "grantee":
        lent_by = Grant.objects.filter(pk=token.issuer, person=holder, lends_card=True).first()
        if lent_by is None or not rules.live_grants(now).filter(pk=lent_by.pk).exists():
            raise _refuse_token("not_lent")
        presenter = Presenter.GRANTEE
    elif token.issuer_kind == "holder_app":
        from healthbank.devices.models import DeviceBinding

        if not DeviceBinding.objects.filter(
            pk=token.issuer, person=holder, status=DeviceBinding.Status.ENABLED
        ).exists():
            raise _refuse_token("not_lent")
    elif token.issuer != holder.pk:
        raise _refuse_token("malformed")
    latest = _guard_cache(lambda: cache.get(_latest_key(token.issuer_kind, token.issuer)))
    first = _guard_cache(
        lambda: cache.add(f"vcard:used:{token.token_id}", 1, timeout=max(1, token.expires - int(now.timestamp())) + 60)
    )
    if not first:
        raise _refuse_token("already_used")
    if latest != token.token_id:
        raise _refuse_token("superseded")
    try:
        with transaction.atomic():
            visit_grant = Grant.objects.create(
                person=holder,
                grantee_kind=Grant.GranteeKind.INSTITUTION,
                grantee_institution=institution,
                categories=VISIT_CATEGORIES,
                lends_card=True,
                why=Grant.Why.CARD_SCAN,
                origin=f"scan:{token.token_id}",
                valid_from=now,
                valid_until=now + policy.VCARD_SCAN_VISIT_VALID_FOR,
            )
            scan = CardScan.objects.create(
                token_id=token.token_id,
                person=holder,
                institution=institution,
                presenter=presenter,
                presented_by=lent_by.grantee_person if lent_by is not None else None,
                lent_by=lent_by,
                visit_grant=visit_grant,
                issued_at=dt.datetime.fromtimestamp(token.expires, tz=dt.UTC) - policy.VCARD_QR_VALID_FOR,
                scanned_at=now,
            )
            if lent_by is not None and lent_by.why != Grant.Why.CHILD_UNDER_15:
                notices.card_used_by_delegate(scan, card)
    except IntegrityError:  # the cache forgot the code, the table did not: still used once only
        raise _refuse_token("already_used") from None
    from .selectors import visit_summary

    summary = visit_summary(Reader("institution", institution_id=institution.pk, address=address), holder, card)
    return ScanResult(scan, holder, card, summary)


# ---------------------------------------------------------------- institutions' requests


def request_authorisation(institution: Institution, national_id: str, purpose: str) -> InstitutionRequest:
    """院所發送授權請求 — the person has ``VCARD_INSTITUTION_ACCEPT_WITHIN`` to accept it in the app or on the web."""
    try:
        value = nid.validate(national_id).value
    except nid.NationalIdError as exc:
        raise CardRefused("national_id", exc.message, 400, "national_id") from None
    if not institution.accepts_virtual_card:
        raise CardRefused(
            "institution",
            "This institution is not on the list of those that accept the virtual NHI card.",
            403,
            "not_accepting",
        )
    if purpose not in InstitutionRequest.Purpose.values:
        raise CardRefused("purpose", f"purpose is one of {', '.join(InstitutionRequest.Purpose.values)}.")
    person = Person.objects.by_national_id(value).first()
    if person is None:
        raise CardRefused("national_id", "No insured person has this national ID.", 422, "unknown_person")
    count, window = policy.VCARD_REQUEST_RATE
    if limits.hit(f"vcard-request:{institution.pk}:{person.pk}", window) > count:
        raise CardRefused("national_id", "Too many requests for this person; wait and try again.", 429, "throttled")
    now = _now()
    with transaction.atomic():
        request = InstitutionRequest.objects.create(
            person=person,
            institution=institution,
            purpose=purpose,
            requested_at=now,
            answer_by=now + policy.VCARD_INSTITUTION_ACCEPT_WITHIN,
        )
        notices.institution_asks(request)
    return request


def answer_request(person: Person, request_id, *, accept: bool) -> InstitutionRequest:
    """同意 or decline an institution's request, within ``VCARD_INSTITUTION_ACCEPT_WITHIN``; accepting lends the
    card to the institution for ``VCARD_INSTITUTION_AUTH_VALID_FOR``."""
    request = InstitutionRequest.objects.filter(pk=request_id, person=person).select_related("institution").first()
    if request is None:
        raise NotReadable
    now = _now()
    with transaction.atomic():
        done = InstitutionRequest.objects.filter(
            pk=request.pk, status=InstitutionRequest.Status.WAITING, answer_by__gt=now
        ).update(
            status=InstitutionRequest.Status.ACCEPTED if accept else InstitutionRequest.Status.DECLINED,
            answered_at=now,
        )
        if not done:
            if request.status != InstitutionRequest.Status.WAITING:
                raise CardRefused("request", _("You answered this request already."), 409, "answered")
            raise CardRefused(
                "request",
                _("The %(minutes)d minutes to answer have passed; ask the institution to send a new request.")
                % {"minutes": policy.VCARD_INSTITUTION_ACCEPT_WITHIN.seconds // 60},
                410,
                "expired",
            )
        request.refresh_from_db()
        if accept:
            request.grant = Grant.objects.create(
                person=person,
                grantee_kind=Grant.GranteeKind.INSTITUTION,
                grantee_institution=request.institution,
                categories=VISIT_CATEGORIES,
                lends_card=True,
                why=Grant.Why.INSTITUTION_REQUEST,
                origin=f"request:{request.pk}",
                valid_from=now,
                valid_until=now + policy.VCARD_INSTITUTION_AUTH_VALID_FOR,
            )
            request.save(update_fields=["grant"])
    return request


def use_authorisation(institution: Institution, request_id, *, address: str = "") -> dict:
    """The institution uses an accepted request: the person's insurance status for the visit, read and logged.

    Refused (with a reason code) before acceptance, after a decline, after the hour, and for a request that
    is another institution's (404, as if it did not exist).
    """
    request = InstitutionRequest.objects.filter(pk=request_id, institution=institution).select_related("person").first()
    if request is None:
        raise NotReadable
    now = _now()
    if request.status == InstitutionRequest.Status.DECLINED:
        raise CardRefused("request", "The person declined this request.", 403, "declined")
    if request.status == InstitutionRequest.Status.WAITING:
        if request.answer_by <= now:
            raise CardRefused("request", "The person did not accept within the time allowed.", 410, "expired")
        raise CardRefused("request", "The person has not accepted yet.", 409, "waiting")
    reader = Reader("institution", institution_id=institution.pk, address=address)
    access = rules.may_use_card(reader, request.person, now)
    if access is None or access.grant is None or access.grant.origin != f"request:{request.pk}":
        if not rules.live_grants(now).filter(pk=request.grant_id).exists():
            raise CardRefused("request", "The authorisation has ended (it lasts one hour).", 410, "ended")
    from .selectors import visit_summary

    return visit_summary(reader, request.person, current_card(request.person))


def card_grant_for_visit(institution_id, person_id, reference: str, at: dt.datetime | None = None) -> Grant | None:
    """The live grant that lets ``institution`` upload a visit made with the virtual card, named by ``reference``
    (a scanned code's id or an accepted request's id); ``None`` when there is none for this person."""
    reference = (reference or "").strip().lower()
    if not reference or len(reference) > 40:
        return None
    origins = [f"scan:{reference}", f"request:{reference}"]
    return (
        rules.live_grants(at or _now())
        .filter(
            person_id=person_id,
            grantee_kind=Grant.GranteeKind.INSTITUTION,
            grantee_institution_id=institution_id,
            lends_card=True,
            origin__in=origins,
        )
        .first()
    )


# ---------------------------------------------------------------- delegations


def _period(starts_on: dt.date | None, ends_on: dt.date, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    today = timezone.localdate(now)
    starts_on = starts_on or today
    if starts_on < today:
        raise CardRefused("starts_on", _("The period cannot start in the past."))
    if ends_on < starts_on:
        raise CardRefused("ends_on", _("The last day cannot be before the first day."))
    if ends_on == dt.date.max:  # no period ends there: its end (the next midnight) is past the calendar
        raise CardRefused("ends_on", _("Choose a last day within the longest period allowed."), 400, "too_long")
    starts_at = max(now, start_of_day(starts_on))
    return starts_at, start_of_day(ends_on + dt.timedelta(days=1))


def _check_length(starts_at: dt.datetime, ends_at: dt.datetime, longest: dt.timedelta, household: bool) -> None:
    if ends_at - starts_at > longest:
        if household:
            message = _("Within the household a delegation lasts at most %(days)d days.")
        else:
            message = _("Someone outside your NHI household can be authorised for at most %(days)d days (one month).")
        raise CardRefused("ends_on", message % {"days": longest.days}, 400, "too_long")


def _require_card(person: Person) -> CardApplication:
    card = current_card(person)
    if card is None:
        raise CardRefused("card", _("Apply for your virtual NHI card first; you can lend it once it is approved."), 409)
    return card


def _new_code() -> str:
    alphabet = policy.VCARD_DELEGATION_CODE_ALPHABET
    return "".join(secrets.choice(alphabet) for _ in range(policy.VCARD_DELEGATION_CODE_LENGTH))


def normalise_code(text: str) -> str:
    return "".join(c for c in (text or "").upper() if c.isalnum())[:40]


def delegate_to_named_person(
    person: Person, *, delegate_national_id: str, label: str, starts_on: dt.date | None, ends_on: dt.date
) -> tuple[Delegation, str]:
    """授權特定對象 — a delegation for one named person (by national ID), with a code they type or scan.

    Outside the person's NHI household the period is at most ``VCARD_DELEGATION_MAX_OUTSIDE_HOUSEHOLD``.
    The code is returned once (only its hash is kept) and is good for ``VCARD_DELEGATION_CODE_VALID_FOR``.
    Whether the ID belongs to anyone registered is never told.
    """
    _require_card(person)
    try:
        value = nid.validate(delegate_national_id).value
    except nid.NationalIdError:
        raise CardRefused(
            "delegate_national_id", _("Enter the delegate's national ID (a letter and 9 digits).")
        ) from None
    id_hash = _id_hash(value)
    if id_hash == person.national_id_hash:
        raise CardRefused("delegate_national_id", _("You cannot authorise yourself."))
    now = _now()
    starts_at, ends_at = _period(starts_on, ends_on, now)
    members = household_members(person, timezone.localdate(now))
    in_household = any(m.national_id_hash == id_hash for m in members)
    longest = (
        policy.VCARD_DELEGATION_MAX_IN_HOUSEHOLD if in_household else policy.VCARD_DELEGATION_MAX_OUTSIDE_HOUSEHOLD
    )
    _check_length(starts_at, ends_at, longest, in_household)
    code = _new_code()
    delegation = Delegation.objects.create(
        person=person,
        kind=Delegation.Kind.NAMED,
        label=(label or "").strip()[:20],
        delegate_id_hash=id_hash,
        code_hash=_digest(code),
        answer_by=min(now + policy.VCARD_DELEGATION_CODE_VALID_FOR, ends_at),
        starts_at=starts_at,
        ends_at=ends_at,
        created_at=now,
    )
    return delegation, code


def _lend_card_to_person(delegation: Delegation, why: str) -> Grant:
    return Grant.objects.create(
        person=delegation.person,
        grantee_kind=Grant.GranteeKind.PERSON,
        grantee_person=delegation.delegate,
        categories=[],
        lends_card=True,
        why=why,
        origin=f"delegation:{delegation.pk}",
        valid_from=delegation.starts_at,
        valid_until=delegation.ends_at,
    )


def obtain_delegation(delegate: Person, code: str, *, address: str = "") -> Delegation:
    """取得授權 — the delegate, logged in as themselves, types or scans the code; from then on they may show
    the person's card until the period ends or the person ends it.

    Wrong codes are limited per account and per address (a slot taken before the check, given back on
    success), so guessing is hopeless and nobody but the guesser is slowed down.
    """
    count, window = policy.VCARD_OBTAIN_ATTEMPTS
    keys_ = [f"vcard-obtain:{delegate.pk}"] + ([f"vcard-obtain-ip:{address}"] if address else [])
    if max(limits.hit(k, window) for k in keys_) > count:
        raise CardRefused("code", _("Too many wrong codes; try again in an hour."), 429, "throttled")
    cleaned = normalise_code(code)
    # A code is unique per card holder only (issue 12: tables distributed by person): of the rows with this
    # code, the one made for this delegate, newest first, answers; no other holder's row is taken then.
    found = (
        list(
            Delegation.objects.filter(code_hash=_digest(cleaned), kind=Delegation.Kind.NAMED)
            .select_related("person")
            .order_by("-created_at")[:10]
        )
        if len(cleaned) == policy.VCARD_DELEGATION_CODE_LENGTH
        else []
    )
    delegation = next((row for row in found if row.delegate_id_hash == delegate.national_id_hash), None)
    if delegation is None and found:
        delegation = found[0]
    if delegation is None:
        raise CardRefused("code", _("This code is not right; check it and try again."), 400, "wrong_code")
    for k in keys_:
        limits.give_back(k)
    now = _now()
    if delegation.delegate_id_hash != delegate.national_id_hash:
        raise CardRefused("code", _("This code was made for someone else."), 403, "not_for_you")
    if delegation.status == Delegation.Status.CANCELLED:
        raise CardRefused("code", _("The card holder cancelled this authorisation."), 410, "cancelled")
    if delegation.status != Delegation.Status.WAITING:
        raise CardRefused("code", _("This code was used already."), 409, "used")
    if delegation.answer_by <= now:
        raise CardRefused("code", _("This code has expired; ask for a new one."), 410, "expired")
    with transaction.atomic():
        done = Delegation.objects.filter(pk=delegation.pk, status=Delegation.Status.WAITING).update(
            status=Delegation.Status.ACCEPTED, delegate=delegate, answered_at=now
        )
        if not done:
            raise CardRefused("code", _("This code was used already."), 409, "used")
        delegation.refresh_from_db()
        delegation.grant = _lend_card_to_person(delegation, Grant.Why.DELEGATE)
        delegation.save(update_fields=["grant"])
    return delegation


def delegate_to_household_member(
    person: Person, member_id, *, starts_on: dt.date | None, ends_on: dt.date
) -> Delegation:
    """授權同一健保戶 — the member must press "agree" within ``VCARD_HOUSEHOLD_ACCEPT_WITHIN``."""
    _require_card(person)
    now = _now()
    member = next((m for m in household_members(person, timezone.localdate(now)) if str(m.pk) == str(member_id)), None)
    if member is None:
        raise CardRefused("member", _("Choose a member of your NHI household."))
    starts_at, ends_at = _period(starts_on, ends_on, now)
    _check_length(starts_at, ends_at, policy.VCARD_DELEGATION_MAX_IN_HOUSEHOLD, True)
    with transaction.atomic():
        delegation = Delegation.objects.create(
            person=person,
            kind=Delegation.Kind.HOUSEHOLD,
            delegate=member,
            answer_by=now + policy.VCARD_HOUSEHOLD_ACCEPT_WITHIN,
            starts_at=starts_at,
            ends_at=ends_at,
            created_at=now,
        )
        notices.household_asks(delegation)
    return delegation


def answer_household_delegation(member: Person, delegation_id, *, agree: bool) -> Delegation:
    """The household member agrees (within 10 minutes) or declines; agreeing makes the grant."""
    delegation = Delegation.objects.filter(pk=delegation_id, delegate=member, kind=Delegation.Kind.HOUSEHOLD).first()
    if delegation is None:
        raise NotReadable
    now = _now()
    with transaction.atomic():
        done = Delegation.objects.filter(pk=delegation.pk, status=Delegation.Status.WAITING, answer_by__gt=now).update(
            status=Delegation.Status.ACCEPTED if agree else Delegation.Status.DECLINED, answered_at=now
        )
        if not done:
            if delegation.status != Delegation.Status.WAITING:
                raise CardRefused("delegation", _("You answered this already."), 409, "answered")
            raise CardRefused(
                "delegation",
                _("The %(minutes)d minutes to agree have passed; ask for a new authorisation.")
                % {"minutes": policy.VCARD_HOUSEHOLD_ACCEPT_WITHIN.seconds // 60},
                410,
                "expired",
            )
        delegation.refresh_from_db()
        if agree:
            delegation.grant = _lend_card_to_person(delegation, Grant.Why.HOUSEHOLD_DELEGATION)
            delegation.save(update_fields=["grant"])
    return delegation


def end_delegation(actor: Person, delegation_id) -> Delegation:
    """提前終止 — the card holder ends a delegation early, or the delegate gives it back; a waiting one is cancelled."""
    delegation = (
        Delegation.objects.filter(pk=delegation_id)
        .filter(Q(person=actor) | Q(delegate=actor))
        .select_related("grant")
        .first()
    )
    if delegation is None:
        raise NotReadable
    with transaction.atomic():
        if delegation.status == Delegation.Status.WAITING:
            Delegation.objects.filter(pk=delegation.pk, status=Delegation.Status.WAITING).update(
                status=Delegation.Status.CANCELLED, answered_at=_now()
            )
        elif delegation.grant is not None:
            end_grant(delegation.grant)
    delegation.refresh_from_db()
    return delegation


def end_institution_authorisation(person: Person, request_id) -> InstitutionRequest:
    """The person ends an institution's hour early (or withdraws a request not yet answered, by declining it)."""
    request = InstitutionRequest.objects.filter(pk=request_id, person=person).select_related("grant").first()
    if request is None:
        raise NotReadable
    if request.status == InstitutionRequest.Status.WAITING:
        return answer_request(person, request.pk, accept=False)
    if request.grant is not None:
        end_grant(request.grant)
    return request
