"""健保卡補發及更換照片 — requesting a new NHI card, and an operator's decision (SPEC §10, §2).

The person (or the insured person for a dependent; the caller has applied the acting rule) chooses a reason,
uploads a photo (checked and re-encoded by ``vcard.photos``: JPEG/PNG only, bounded, metadata dropped, kept
outside the web root), sees the fee (``card_rules.card_fee``) and gives a delivery address. A lost card is
reported lost in the same transaction and stops working at once for login and card proofs
(``identity.services.valid_card``); a found card stays lost (the NHI's rule: a card reported lost is void).

On approval, in one transaction: a new card with the next card number is issued, the request points at it,
and the e-mail is written to the outbox. From that commit only the new card is the newest one, so the old
card stops working for login and card proofs. Nothing is written when anything is refused. After the commit the
card maker (``external.adapter("card_maker")``) is asked to make and mail the card with its chip's key; its
simulator writes the card file the card agent reads, so the demo person logs in with the new card.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.accounts.models import OnlineAccount, OutboxEmail
from healthbank.accounts.outbox import queue_email
from healthbank.core import codes
from healthbank.external import adapter
from healthbank.identity.models import NhiCard, Person
from healthbank.identity.services import current_card
from healthbank.vcard import photos

from . import card_rules
from .addresses import current_address
from .models import CardReplacementRequest

Reason = CardReplacementRequest.Reason
Status = CardReplacementRequest.Status
logger = logging.getLogger(__name__)

SERVICE = "card_replacement"  # the catalogue key, and the access log's detail

_CARD_NUMBER_TRIES = 5


class CardRequestRefused(Exception):
    """A request or decision that cannot be made: ``field`` and ``message`` for the person, ``status`` for HTTP."""

    def __init__(self, field: str, message: str, status: int = 400):
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


@dataclass(frozen=True)
class DeliveryAddress:
    """Where the new card is mailed: county and township from the reference list, postal code derived."""

    county: str
    township: str
    village: str
    street: str
    postal_code: str = ""


def _waiting() -> CardRequestRefused:
    return CardRequestRefused("person", _("A card request for this person is already waiting for review."), 409)


def check_address(county: str, township: str, village: str, street: str) -> DeliveryAddress:
    """The address with its postal code, or CardRequestRefused naming the first field that is wrong."""
    county, township, village, street = (v.strip() for v in (county or "", township or "", village or "", street or ""))
    if not county:
        raise CardRequestRefused("county", _("Choose the county or city."))
    found = next((c for c in codes.counties() if c["name_zh"] == county), None)
    if found is None:
        raise CardRequestRefused("county", _("This county or city is not in the list."))
    if not township:
        raise CardRequestRefused("township", _("Choose the township or district."))
    place = next((t for t in found["townships"] if t["name_zh"] == township), None)
    if place is None:
        raise CardRequestRefused("township", _("This township or district is not in %(county)s.") % {"county": county})
    if village and village not in place["villages"]:
        raise CardRequestRefused("village", _("This village is not in %(township)s.") % {"township": county + township})
    if not street:
        raise CardRequestRefused("street", _("Enter the street, lane and number."))
    if len(street) > policy.NHI_CARD_STREET_MAX:
        raise CardRequestRefused(
            "street", _("The street address is at most %(n)d characters.") % {"n": policy.NHI_CARD_STREET_MAX}
        )
    return DeliveryAddress(county, township, village, street, place["postal_code"])


def default_address(person: Person) -> dict:
    """The address a new request starts with: the mailing address (通訊地址) on file, else the one the person's
    last card request was delivered to, else empty."""
    mailing = current_address(person)
    if mailing is not None:
        return {
            "county": mailing.county,
            "township": mailing.township,
            "village": mailing.village,
            "street": mailing.street,
        }
    last = CardReplacementRequest.objects.filter(person=person).order_by("-submitted_at").first()
    if last is None:
        return {"county": "", "township": "", "village": "", "street": ""}
    return {"county": last.county, "township": last.township, "village": last.village, "street": last.street}


def has_waiting_request(person: Person) -> bool:
    """A request for ``person`` waits already (the early answer; the unique constraint is the guarantee)."""
    return CardReplacementRequest.objects.filter(person=person, status=Status.SUBMITTED).exists()


def _account_email(person_id) -> str:
    return OnlineAccount.objects.filter(person_id=person_id).values_list("email", flat=True).first() or ""


def submit_request(
    applicant: Person,
    person: Person,
    *,
    reason: str,
    photo,
    address: DeliveryAddress | dict,
    fee_accepted: bool,
    language: str = "",
) -> CardReplacementRequest:
    """申請健保卡補發或更換照片 — check everything, keep the photo (re-encoded), report a lost card lost, queue it.

    ``applicant`` is the person or the insured person acting for a dependent (the acting rule is the caller's).
    Refusals name the field; nothing is stored when one is refused (the photo written is deleted again).
    """
    today = timezone.localdate()
    if reason not in Reason.values:
        raise CardRequestRefused("reason", _("Choose why a new card is needed."))
    old_card = current_card(person)
    if old_card is None:
        raise CardRequestRefused(
            "person", _("No NHI card has been issued to this person yet; the first card is applied for at an office.")
        )
    if has_waiting_request(person):
        raise _waiting()
    if isinstance(address, dict):
        address = check_address(
            address.get("county", ""),
            address.get("township", ""),
            address.get("village", ""),
            address.get("street", ""),
        )
    fee = card_rules.card_fee(reason)
    if fee and not fee_accepted:
        raise CardRequestRefused(
            "fee_accepted", _("Agree to pay the card fee of NT$%(fee)d to send the request.") % {"fee": fee}
        )
    if photo is None and card_rules.photo_required(reason, person.age_on(today)):
        raise CardRequestRefused("photo", _("Upload a recent front photo for the card."))
    stored = ""
    try:
        if photo is not None:
            stored = photos.store_photo(photo, field="photo")
        with transaction.atomic():
            request = CardReplacementRequest.objects.create(
                person=person,
                applicant=applicant,
                reason=reason,
                photo=stored,
                fee=fee,
                postal_code=address.postal_code,
                county=address.county,
                township=address.township,
                village=address.village,
                street=address.street,
                old_card=old_card,
                email=_account_email(applicant.pk),
                language=language or settings.LANGUAGE_CODE,
                submitted_at=timezone.now(),
            )
            if reason == Reason.LOST:
                # 掛失: the card stops working now, not when the new one is issued (whoever finds it cannot log in).
                NhiCard.objects.filter(pk=old_card.pk, reported_lost_on__isnull=True).update(reported_lost_on=today)
            return request
    except photos.PhotoRefused as exc:
        raise CardRequestRefused(exc.field, exc.message) from None
    except IntegrityError:  # the same request sent twice at once: one is kept
        if stored:
            photos.delete_photo(stored)
        raise _waiting() from None
    except BaseException:
        if stored:
            photos.delete_photo(stored)
        raise


@dataclass(frozen=True)
class Approval:
    request: CardReplacementRequest
    card: NhiCard
    card_key: Ed25519PrivateKey  # the new chip's key: the card maker's; never stored here


def _issue_new_card(request: CardReplacementRequest, public_key: bytes) -> NhiCard:
    """The next card number (numbers go up in issue order); a number taken meanwhile is tried again."""
    for _attempt in range(_CARD_NUMBER_TRIES):
        highest = NhiCard.objects.aggregate(highest=Max("card_number"))["highest"]
        try:
            with transaction.atomic():
                return NhiCard.objects.create(
                    person=request.person,
                    card_number=card_rules.next_card_number(highest),
                    issued_on=timezone.localdate(),
                    reason=card_rules.NEW_CARD_REASON[request.reason],
                    public_key=public_key,
                )
        except IntegrityError:
            continue
    raise CardRequestRefused("status", _("The card could not be issued just now; try again."), 503)


def approve_request(operator, request: CardReplacementRequest) -> Approval:
    """Approve a waiting request: issue the new card, end the old one, tell the person — one transaction."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    with transaction.atomic():
        locked = (
            CardReplacementRequest.objects.select_for_update()
            .select_related("person")
            .filter(pk=request.pk, status=Status.SUBMITTED)
            .first()
        )
        if locked is None:
            raise CardRequestRefused("status", _("This request was already decided."), 409)
        card = _issue_new_card(locked, public)
        locked.status = Status.APPROVED
        locked.new_card = card
        locked.decided_at = timezone.now()
        locked.decided_by = operator
        locked.save(update_fields=["status", "new_card", "decided_at", "decided_by"])
        _notify(locked)
        transaction.on_commit(lambda: _order_card(locked.person, card, key))
    return Approval(locked, card, key)


def _order_card(person: Person, card: NhiCard, key: Ed25519PrivateKey) -> None:
    """Once the approval is committed: the card maker makes and mails the new card with its chip's key. A failed
    order leaves the approval standing and is logged (by the card's last four digits only)."""
    try:
        adapter("card_maker").make(
            card_number=card.card_number, name=person.name, national_id=person.national_id,
            birth_date=person.birth_date, sex=person.sex, issue_date=card.issued_on,
            private_key=key.private_bytes_raw(),
        )  # fmt: skip
    except Exception:
        logger.exception("card order for the new card …%s failed; the approval stands", card.card_number[-4:])


def reject_request(operator, request: CardReplacementRequest, reason: str) -> CardReplacementRequest:
    """Reject with a reason the person reads; the photo is deleted. A card reported lost stays lost."""
    reason = (reason or "").strip()
    if not reason:
        raise CardRequestRefused("rejection_reason", _("Say why the request is rejected; the person reads it."))
    if len(reason) > policy.NHI_CARD_REJECTION_REASON_MAX:
        raise CardRequestRefused(
            "rejection_reason",
            _("The reason is at most %(n)d characters.") % {"n": policy.NHI_CARD_REJECTION_REASON_MAX},
        )
    with transaction.atomic():
        locked = (
            CardReplacementRequest.objects.select_for_update()
            .select_related("person")
            .filter(pk=request.pk, status=Status.SUBMITTED)
            .first()
        )
        if locked is None:
            raise CardRequestRefused("status", _("This request was already decided."), 409)
        locked.status = Status.REJECTED
        locked.rejection_reason = reason
        locked.decided_at = timezone.now()
        locked.decided_by = operator
        photo, locked.photo = locked.photo, ""
        locked.save(update_fields=["status", "rejection_reason", "decided_at", "decided_by", "photo"])
        _notify(locked)
        if photo:
            transaction.on_commit(lambda: photos.delete_photo(photo))
    return locked


# ---------------------------------------------------------------- the e-mail

SUBJECTS = {
    Status.APPROVED: "健保卡補發申請已核准 Your new NHI card is issued",
    Status.REJECTED: "健保卡補發申請未通過 Your NHI card request was not approved",
}


def _notify(request: CardReplacementRequest) -> OutboxEmail | None:
    """Bilingual, Chinese first (as every HealthBank e-mail): masked name, last four digits, never an ID."""
    if not request.email:
        return None
    with translation.override(request.language or settings.LANGUAGE_CODE):
        link = settings.SITE_URL.rstrip("/") + reverse("insurance:card-replacement", args=[request.person_id])
    with translation.override("zh-hant"):
        reason_zh = str(Reason(request.reason).label)
    with translation.override("en"):
        reason_en = str(Reason(request.reason).label)
    body = render_to_string(
        "insurance/email/card_replacement.txt",
        {
            "request": request,
            "name": request.person.masked_name,
            "approved": request.status == Status.APPROVED,
            "last4": request.new_card.card_number[-4:] if request.new_card else "",
            "reason_zh": reason_zh,
            "reason_en": reason_en,
            "link": link,
        },
    )
    return queue_email(
        kind=OutboxEmail.Kind.NHI_CARD,
        person_id=request.person_id,
        to=request.email,
        subject=SUBJECTS[request.status],
        body=body,
    )
