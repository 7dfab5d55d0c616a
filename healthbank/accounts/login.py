"""Logging in (SPEC §4): checks, failure counting, lockout, and the person's own session.

Messages never say whether a national ID is registered: every failure of the
ID / card number / password check answers the same words, and a missing
account still costs one password hash, so timing tells nothing either.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.core import national_id as nid
from healthbank.external import adapter
from healthbank.identity.models import NhiCard, Person
from healthbank.identity.services import current_card

from .models import OnlineAccount
from .notices import notify

SESSION_PERSON = "citizen_person"
SESSION_ACCOUNT = "citizen_account"
SESSION_AUTH = "citizen_auth"
SESSION_METHOD = "citizen_method"
SESSION_ENDS_AT = "citizen_ends_at"


class Method:
    """How the person proved who they are; it decides what the session may do."""

    PASSWORD = "password"  # ID + card number + password, or the card + password  # noqa: S105 - a name, not a secret
    CERTIFICATE = "certificate"  # citizen certificate + PIN
    KIOSK = "kiosk"  # card + household number at a self-service kiosk: read only, nothing kept


_DUMMY_HASH = make_password("a password nobody has")


class LoginError(ValueError):
    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


def _wrong() -> LoginError:
    return LoginError(_("The national ID, card number or password is not correct."))


def _source_key(source: str) -> str:
    return "login-failures:" + hashlib.sha256(source.encode()).hexdigest()[:32]


def source_blocked(source: str) -> bool:
    return (cache.get(_source_key(source)) or 0) >= policy.LOGIN_MAX_FAILURES_PER_SOURCE


def count_source_failure(source: str) -> None:
    key = _source_key(source)
    timeout = int(policy.LOGIN_FAILURE_WINDOW.total_seconds())
    if not cache.add(key, 1, timeout=timeout):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=timeout)


def _count_account_failure(account: OnlineAccount) -> None:
    with transaction.atomic():
        OnlineAccount.objects.filter(pk=account.pk).update(failed_logins=F("failed_logins") + 1)
        account.refresh_from_db(fields=["failed_logins", "status"])
        if account.failed_logins >= policy.LOGIN_MAX_FAILURES_PER_ACCOUNT and account.status == "active":
            locked = OnlineAccount.objects.filter(pk=account.pk, status=OnlineAccount.Status.ACTIVE).update(
                status=OnlineAccount.Status.LOCKED, locked_at=timezone.now()
            )
            if locked:  # only the request that locked it tells the person
                notify(account, "locked")


def _account_for(national_id: str) -> OnlineAccount | None:
    value = nid.normalize(national_id)
    if not nid.is_valid(value):
        return None
    person = Person.objects.by_national_id(value).first()
    return getattr(person, "online_account", None) if person else None


def _unknown(source: str, password: str, error: LoginError) -> LoginError:
    check_password(password, _DUMMY_HASH)  # same cost as a real check
    count_source_failure(source)
    return error


def _refuse_if_throttled(source: str) -> None:
    if source_blocked(source):
        raise LoginError(_("Too many failed attempts from this address; try again later."), code="throttled")


def authenticate_with_card_number(national_id: str, card_number: str, password: str, source: str) -> OnlineAccount:
    """Web login without a reader: national ID + card number + registration password (captcha checked by the form)."""
    _refuse_if_throttled(source)
    account = _account_for(national_id)
    if account is None:
        raise _unknown(source, password, _wrong())
    card = current_card(account.person)
    return _finish(account, password, source, card is not None and card.card_number == card_number.strip(), _wrong)


def authenticate_with_card_suffix(national_id: str, card_last4: str, password: str, source: str) -> OnlineAccount:
    """App phone verification: national ID + the last digits of the newest card + registration password."""
    _refuse_if_throttled(source)
    account = _account_for(national_id)
    if account is None:
        raise _unknown(source, password, _wrong())
    card = current_card(account.person)
    digits = policy.CARD_LAST_DIGITS_FOR_PHONE_CHECK
    card_ok = card is not None and len(card_last4.strip()) == digits and card.card_number.endswith(card_last4.strip())
    return _finish(account, password, source, card_ok, _wrong)


def _wrong_on_device() -> LoginError:
    return LoginError(_("The national ID or password is not correct, or this device is not verified for it."))


def authenticate_on_device(device_person: Person | None, national_id: str, password: str, source: str) -> OnlineAccount:
    """App login: national ID + registration password, from a device verified for that person."""
    _refuse_if_throttled(source)
    account = _account_for(national_id)
    if account is None or device_person is None or account.person_id != device_person.pk:
        raise _unknown(source, password, _wrong_on_device())
    return _finish(account, password, source, True, _wrong_on_device)


def authenticate_with_card(card: NhiCard, password: str, source: str) -> OnlineAccount:
    """Web login with the card in the reader (its proof already verified) + registration password."""
    _refuse_if_throttled(source)
    account = OnlineAccount.objects.filter(person_id=card.person_id).first()
    if account is None:
        raise _unknown(
            source, password, LoginError(_("This card is not registered for online services yet."), "unregistered")
        )
    return _finish(account, password, source, True, lambda: LoginError(_("The registration password is not correct.")))


def _finish(account: OnlineAccount, password: str, source: str, card_ok: bool, wrong) -> OnlineAccount:
    """The checks every method shares once an account is found: password, then the account's state."""
    if not check_password(password, account.password) or not card_ok:
        count_source_failure(source)
        if account.status == OnlineAccount.Status.ACTIVE:
            _count_account_failure(account)
        raise wrong()
    if account.status == OnlineAccount.Status.LOCKED:
        raise LoginError(_("Too many wrong passwords: reset your password to use the service again."), code="locked")
    if account.status == OnlineAccount.Status.SUSPENDED:
        raise LoginError(_("This registration is suspended; please contact an NHI office."), code="suspended")
    if account.status != OnlineAccount.Status.ACTIVE:
        raise LoginError(_("Finish the registration first: open the confirmation e-mail."), code="pending")
    OnlineAccount.objects.filter(pk=account.pk).update(failed_logins=0)
    return account


def session_auth_hash(account: OnlineAccount) -> str:
    """Changes whenever the password changes, which ends every session of the account."""
    return hmac.new(settings.SECRET_KEY.encode(), account.password.encode(), hashlib.sha256).hexdigest()


def authenticate_with_certificate(person: Person | None, source: str) -> Person:
    """Certificate + PIN (the certificate's proof already checked): no registration or password needed.

    ``person`` is None when the proof failed or names nobody insured; that counts against the address.
    """
    _refuse_if_throttled(source)
    if person is None:
        count_source_failure(source)
        raise LoginError(_("The citizen certificate could not be verified; read it again with the right PIN."))
    account = getattr(person, "online_account", None)
    if account is not None and account.status == OnlineAccount.Status.SUSPENDED:
        raise LoginError(_("This registration is suspended; please contact an NHI office."), code="suspended")
    return person


def authenticate_at_kiosk(card: NhiCard, household_number: str, source: str) -> Person:
    """Kiosk: the card (its proof already checked) + the household number the registry holds for its owner."""
    _refuse_if_throttled(source)
    given = household_number.strip().upper()
    registered_household = adapter("household_registry").household_of(card.person.national_id)
    if not registered_household or not hmac.compare_digest(given.encode(), registered_household.upper().encode()):
        count_source_failure(source)
        raise LoginError(_("The household number does not match this card's owner."))
    return card.person


def start_session(request, account: OnlineAccount, method: str = Method.PASSWORD) -> None:
    """A session of a registered person, ended by a password change."""
    _start(request, account.person, method, policy.SESSION_IDLE_TIMEOUT)
    request.session[SESSION_ACCOUNT] = str(account.pk)
    request.session[SESSION_AUTH] = session_auth_hash(account)


def start_person_session(request, person: Person, method: str) -> None:
    """A session proved by certificate or at a kiosk; a certificate session also reaches an active account."""
    idle = policy.KIOSK_IDLE_TIMEOUT if method == Method.KIOSK else policy.SESSION_IDLE_TIMEOUT
    _start(request, person, method, idle)
    if method == Method.KIOSK:
        request.session[SESSION_ENDS_AT] = (timezone.now() + policy.KIOSK_SESSION_LIMIT).timestamp()
        return
    account = OnlineAccount.objects.filter(person=person, status=OnlineAccount.Status.ACTIVE).first()
    if account is not None:
        request.session[SESSION_ACCOUNT] = str(account.pk)


def _start(request, person: Person, method: str, idle) -> None:
    request.session.flush()  # no session fixation, and nothing of an earlier visitor's session carries over
    request.session[SESSION_PERSON] = str(person.pk)
    request.session[SESSION_METHOD] = method
    request.session.set_expiry(int(idle.total_seconds()))


def end_session(request) -> None:
    request.session.flush()
