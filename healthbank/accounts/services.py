"""Registration writes (SPEC §3): start, resend, cancel and confirm an online registration."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.external import adapter
from healthbank.identity.models import NhiCard, Person

from . import emails, passwords
from .models import OnlineAccount, OutboxEmail, RegistrationApplication

MOBILE = re.compile(r"^09\d{8}$")
LANDLINE = re.compile(r"^0\d{1,3}-\d{5,8}(#\d{1,6})?$")


class RegistrationError(ValueError):
    """Errors by field, each with a message a person can act on."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Contacts:
    email: str
    mobile: str
    backup_email: str = ""
    landline: str = ""


@dataclass(frozen=True)
class RegisteredAddressInput:
    household_number: str
    county: str
    township: str
    village: str
    neighbourhood: int


def new_token() -> tuple[str, str]:
    raw = secrets.token_urlsafe(policy.CONFIRMATION_TOKEN_BYTES)
    return raw, hash_token(raw)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def check_contacts(contacts: Contacts) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, value, required in (("email", contacts.email, True), ("backup_email", contacts.backup_email, False)):
        if not value:
            if required:
                errors[name] = [_("An e-mail address is required.")]
            continue
        try:
            validate_email(value)
        except ValidationError:
            errors[name] = [_("This is not a valid e-mail address.")]
    if not MOBILE.match(contacts.mobile or ""):
        errors["mobile"] = [_("A mobile number is 10 digits starting with 09, e.g. 0912345678.")]
    if contacts.landline and not LANDLINE.match(contacts.landline):
        errors["landline"] = [_("Write a landline as area-number#extension, e.g. 02-27065866#1234.")]
    return errors


def check_password(password: str, confirm: str, person: Person) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    found = passwords.problems(password, national_id=person.national_id, birth_date=person.birth_date)
    if found:
        errors["password"] = [p.message for p in found]
    if password != confirm:
        errors["password_confirm"] = [_("The two passwords are not the same.")]
    return errors


def new_application(
    account: OnlineAccount, language: str, now: dt.datetime, *, unit=None, deliver: bool = True
) -> tuple[RegistrationApplication, str, OutboxEmail]:
    """A new confirmation link (earlier ones stop working) and its e-mail, written to the outbox.

    ``unit`` is the insurance unit applying for the person (the e-mail names it);
    ``deliver=False`` leaves handing the e-mail to a worker to the caller (a batch hands many at once).
    Call inside a transaction: the account's row is locked, so parallel requests leave one working link.
    """
    list(OnlineAccount.objects.select_for_update().filter(pk=account.pk).values_list("pk", flat=True))
    account.applications.filter(status=RegistrationApplication.Status.PENDING).update(
        status=RegistrationApplication.Status.SUPERSEDED
    )
    raw, hashed = new_token()
    application = RegistrationApplication.objects.create(
        person=account.person,
        account=account,
        token_hash=hashed,
        email=account.email,
        created_at=now,
        expires_at=now + dt.timedelta(days=policy.REGISTRATION_CONFIRM_DAYS),
        language=language,
        unit=unit,
    )
    email = emails.registration(application, raw, deliver=deliver)
    return application, raw, email


@transaction.atomic
def start_online_registration(
    card: NhiCard,
    address: RegisteredAddressInput,
    password: str,
    password_confirm: str,
    contacts: Contacts,
    *,
    language: str = "zh-hant",
) -> RegistrationApplication:
    """Self-service registration after a verified card reading; sends the confirmation e-mail."""
    person = Person.objects.select_for_update().get(pk=card.person_id)
    now = timezone.now()
    existing = OnlineAccount.objects.filter(person=person).first()
    if existing is not None and existing.status != OnlineAccount.Status.PENDING:
        raise RegistrationError({"card": [_("This card is already registered; log in, or reset the password.")]})
    errors: dict[str, list[str]] = {}
    registry = adapter("household_registry")
    if not registry.matches(
        person.national_id,
        address.household_number,
        address.county,
        address.township,
        address.village,
        address.neighbourhood,
    ):
        errors["household_number"] = [
            _("The household number and registered address do not match the household registry.")
        ]
    errors |= check_password(password, password_confirm, person)
    errors |= check_contacts(contacts)
    if errors:
        raise RegistrationError(errors)
    account = existing or OnlineAccount(person=person, channel=OnlineAccount.Channel.ONLINE, created_at=now)
    account.password = make_password(password)
    account.password_changed_at = now
    account.email, account.backup_email = contacts.email, contacts.backup_email
    account.mobile, account.landline = contacts.mobile, contacts.landline
    account.save()
    application = new_application(account, language, now)[0]
    return application


def pending_account(card: NhiCard) -> OnlineAccount:
    account = OnlineAccount.objects.filter(person_id=card.person_id, status=OnlineAccount.Status.PENDING).first()
    if account is None:
        raise RegistrationError({"card": [_("There is no pending registration for this card.")]})
    return account


@transaction.atomic
def resend_confirmation(card: NhiCard, *, language: str = "zh-hant") -> RegistrationApplication:
    """A new e-mail with a new link and a new 5 days; earlier links stop working."""
    account = pending_account(card)
    application = new_application(account, language, timezone.now())[0]
    return application


@transaction.atomic
def cancel_registration(card: NhiCard) -> None:
    """Withdraw a pending registration: its links stop working and the account is removed."""
    account = pending_account(card)
    account.applications.filter(status=RegistrationApplication.Status.PENDING).update(
        status=RegistrationApplication.Status.CANCELLED
    )
    account.applications.all().delete()
    account.delete()


def application_for_token(raw_token: str) -> RegistrationApplication:
    """The pending, unexpired application of a link; the same message for every bad link."""
    application = (
        RegistrationApplication.objects.select_related("account", "person")
        .filter(token_hash=hash_token(raw_token or ""))
        .first()
    )
    if (
        application is None
        or application.status != RegistrationApplication.Status.PENDING
        or application.expires_at <= timezone.now()
    ):
        raise RegistrationError(
            {"link": [_("This confirmation link is not valid any more. Apply again or ask for a new e-mail.")]}
        )
    return application


@transaction.atomic
def confirm_registration(
    raw_token: str, card: NhiCard, password: str | None = None, password_confirm: str | None = None
) -> OnlineAccount:
    """Open the link, read the card again (and, after a batch registration, choose the password): active."""
    application = application_for_token(raw_token)
    application = RegistrationApplication.objects.select_for_update().get(pk=application.pk)
    if application.status != RegistrationApplication.Status.PENDING:  # lost a race with another click
        raise RegistrationError({"link": [_("This confirmation link has already been used.")]})
    if card.person_id != application.person_id:
        raise RegistrationError({"card": [_("This is not the card of the person who applied.")]})
    account = application.account
    if not account.password:
        errors = check_password(password or "", password_confirm or "", account.person)
        if errors:
            raise RegistrationError(errors)
        account.password = make_password(password)
        account.password_changed_at = timezone.now()
    now = timezone.now()
    application.status = RegistrationApplication.Status.CONFIRMED
    application.confirmed_at = now
    application.save(update_fields=["status", "confirmed_at"])
    account.status = OnlineAccount.Status.ACTIVE
    account.activated_at = now
    account.failed_logins = 0  # the link and the card: guesses made while pending no longer count
    account.save(update_fields=["status", "activated_at", "password", "password_changed_at", "failed_logins"])
    return account


@transaction.atomic
def register_at_counter(
    person: Person,
    *,
    operator,
    id_document: str,
    password: str,
    password_confirm: str,
    contacts: Contacts,
) -> OnlineAccount:
    """SPEC §3.2: an operator registers the person after checking an ID document; active at once.

    ``id_document`` is the document's type (an ``IdDocument`` code), never its number.
    """
    from healthbank.audit.models import IdDocument
    from healthbank.audit.services import record_access

    person = Person.objects.select_for_update().get(pk=person.pk)
    errors: dict[str, list[str]] = {}
    if OnlineAccount.objects.filter(person=person).exclude(status=OnlineAccount.Status.PENDING).exists():
        errors["person"] = [_("This person is already registered.")]
    if id_document not in IdDocument.values:
        errors["id_document"] = [_("Record which ID document was checked.")]
    errors |= check_password(password, password_confirm, person)
    errors |= check_contacts(contacts)
    if errors:
        raise RegistrationError(errors)
    now = timezone.now()
    OnlineAccount.objects.filter(person=person, status=OnlineAccount.Status.PENDING).delete()
    account = OnlineAccount.objects.create(
        person=person,
        status=OnlineAccount.Status.ACTIVE,
        channel=OnlineAccount.Channel.COUNTER,
        password=make_password(password),
        password_changed_at=now,
        email=contacts.email,
        backup_email=contacts.backup_email,
        mobile=contacts.mobile,
        landline=contacts.landline,
        created_at=now,
        activated_at=now,
    )
    record_access(person.pk, what="counter_registration", detail=id_document, operator=operator)
    return account


@transaction.atomic
def set_suspended(account: OnlineAccount, *, operator, suspended: bool, reason: str = "") -> OnlineAccount:
    """SPEC §3.2: suspending a registration is counter-only; reinstating returns it to active."""
    from healthbank.audit.services import record_access

    account = OnlineAccount.objects.select_for_update().get(pk=account.pk)
    if suspended:
        if not reason.strip():
            raise RegistrationError({"reason": [_("Give the reason for the suspension.")]})
        account.status, account.suspended_at, account.suspended_reason = (
            OnlineAccount.Status.SUSPENDED,
            timezone.now(),
            reason.strip()[:200],
        )
    elif account.status == OnlineAccount.Status.SUSPENDED:
        account.status, account.suspended_at, account.suspended_reason = OnlineAccount.Status.ACTIVE, None, ""
        account.failed_logins = 0  # checked at the counter: guesses made while suspended no longer count
    account.save(update_fields=["status", "suspended_at", "suspended_reason", "failed_logins"])
    record_access(
        account.person_id,
        what="registration_suspended" if suspended else "registration_reinstated",
        operator=operator,
    )
    return account
