"""Forgot password (SPEC §3) by both routes, change password and change contact data."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.external import adapter
from healthbank.identity.models import NhiCard

from . import emails
from .models import OnlineAccount, PasswordReset
from .notices import notify
from .services import (
    Contacts,
    RegisteredAddressInput,
    RegistrationError,
    check_contacts,
    hash_token,
    new_token,
)
from .services import (
    check_password as check_new_password,
)


def _account_of(card: NhiCard) -> OnlineAccount:
    account = OnlineAccount.objects.filter(person_id=card.person_id).exclude(status="pending").first()
    if account is None:
        raise RegistrationError({"card": [_("This card is not registered for online services yet.")]})
    if account.status == OnlineAccount.Status.SUSPENDED:
        raise RegistrationError({"card": [_("This registration is suspended; please contact an NHI office.")]})
    return account


def _new_reset(account: OnlineAccount, email: str, new_email: bool) -> PasswordReset:
    # One at a time per account, so that "earlier links stop working" holds for parallel requests too
    # (20 parallel requests left up to 13 working links).
    list(OnlineAccount.objects.select_for_update().filter(pk=account.pk).values_list("pk", flat=True))
    now = timezone.now()
    account.resets.filter(used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    raw, hashed = new_token()
    reset = PasswordReset.objects.create(
        person_id=account.person_id,
        account=account,
        token_hash=hashed,
        email=email,
        new_email=new_email,
        language=translation.get_language() or settings.LANGUAGE_CODE,  # the language the person asked in
        created_at=now,
        expires_at=now + policy.PASSWORD_RESET_LINK_VALID_FOR,
    )
    emails.password_reset(reset, raw)  # in this transaction: the link leaves only if the reset is stored
    return reset


@transaction.atomic
def reset_to_registered_email(card: NhiCard) -> PasswordReset:
    """Route 1: after reading the card, send the link to the registered e-mail."""
    account = _account_of(card)
    return _new_reset(account, account.email, new_email=False)


@transaction.atomic
def reset_to_new_email(card: NhiCard, email: str, address: RegisteredAddressInput, mobile: str) -> PasswordReset:
    """Route 2: a new e-mail, with the registered address and the mobile; everything must match."""
    account = _account_of(card)
    errors = check_contacts(Contacts(email=email, mobile=mobile))
    if errors:
        raise RegistrationError(errors)
    registry = adapter("household_registry")
    matches = registry.matches(
        account.person.national_id,
        address.household_number,
        address.county,
        address.township,
        address.village,
        address.neighbourhood,
    )
    if not matches or mobile.strip() != account.mobile:
        raise RegistrationError(
            {"household_number": [_("The registered address or mobile number does not match our records.")]}
        )
    return _new_reset(account, email.strip(), new_email=True)


def reset_for_token(raw: str) -> PasswordReset:
    reset = PasswordReset.objects.select_related("account", "person").filter(token_hash=hash_token(raw or "")).first()
    if reset is None or reset.used_at is not None or reset.expires_at <= timezone.now():
        raise RegistrationError({"link": [_("This password reset link is not valid any more; ask for a new one.")]})
    return reset


@transaction.atomic
def complete_reset(raw: str, card: NhiCard, password: str, password_confirm: str) -> OnlineAccount:
    """Open the link, read the card, choose a new password: also unlocks an account locked by wrong passwords."""
    reset = reset_for_token(raw)
    reset = PasswordReset.objects.select_for_update().get(pk=reset.pk)
    if reset.used_at is not None:
        raise RegistrationError({"link": [_("This password reset link has already been used.")]})
    if card.person_id != reset.person_id:
        raise RegistrationError({"card": [_("This is not the card of the person who asked for the link.")]})
    account = reset.account
    errors = check_new_password(password, password_confirm, account.person)
    if errors:
        raise RegistrationError(errors)
    now = timezone.now()
    reset.used_at = now
    reset.save(update_fields=["used_at"])
    account.password = make_password(password)
    account.password_changed_at = now
    account.failed_logins = 0
    if account.status == OnlineAccount.Status.LOCKED:
        account.status, account.locked_at = OnlineAccount.Status.ACTIVE, None
    if reset.new_email:
        account.email = reset.email
    account.save()
    notify(account, "password_changed")
    return account


def change_password(account: OnlineAccount, current: str, password: str, password_confirm: str) -> OnlineAccount:
    """The current password is checked as a login is (``login.check_current_password``), outside the change's
    transaction, so that a wrong one stays counted; every fault of the form is named at once."""
    from .login import LoginError, check_current_password

    errors = check_new_password(password, password_confirm, account.person)
    try:
        check_current_password(account, current)
    except LoginError as exc:
        errors = {"current_password": [exc.message], **errors}
    if errors:
        raise RegistrationError(errors)
    with transaction.atomic():
        account.password = make_password(password)
        account.password_changed_at = timezone.now()
        account.save(update_fields=["password", "password_changed_at"])
        notify(account, "password_changed")
    return account


@transaction.atomic
def change_contacts(account: OnlineAccount, contacts: Contacts) -> bool:
    """Store new contact details and tell the previous e-mail address; False when nothing was different."""
    errors = check_contacts(contacts)
    if errors:
        raise RegistrationError(errors)
    current = (account.email, account.backup_email, account.mobile, account.landline)
    if current == (contacts.email, contacts.backup_email, contacts.mobile, contacts.landline):
        return False  # a notice of a change that did not happen would only alarm the person
    previous_email = account.email
    account.email, account.backup_email = contacts.email, contacts.backup_email
    account.mobile, account.landline = contacts.mobile, contacts.landline
    account.save(update_fields=["email", "backup_email", "mobile", "landline"])
    notify(account, "contacts_changed", to=previous_email)
    return True
