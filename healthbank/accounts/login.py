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
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.core import national_id as nid
from healthbank.core.http import throttle_bucket
from healthbank.external import adapter
from healthbank.identity.models import InsuranceUnit, NhiCard, Person
from healthbank.identity.services import card_refusal, valid_card

from . import limits
from .models import OnlineAccount
from .notices import notify

SESSION_PERSON = "citizen_person"
SESSION_ACCOUNT = "citizen_account"
SESSION_AUTH = "citizen_auth"
SESSION_METHOD = "citizen_method"
SESSION_ENDS_AT = "citizen_ends_at"
SESSION_PROOF = "citizen_proof"
SESSION_SINCE = "citizen_since"


class Method:
    """How the person proved who they are; it decides what the session may do."""

    PASSWORD = "password"  # ID + card number + password, or the card + password  # noqa: S105 - a name, not a secret
    CERTIFICATE = "certificate"  # citizen certificate + PIN
    KIOSK = "kiosk"  # card + household number at a self-service kiosk: read only, nothing kept


class Proof:
    """What the person showed at login, finer than ``Method``: an agency is told it (``acr``, connect/acr.py)."""

    CARD_NUMBER = "card_number"  # national ID + the number printed on the card + password
    CARD_READER = "card_reader"  # the card's chip in a reader signs our challenge + password
    CERTIFICATE = "certificate"  # citizen certificate + PIN
    KIOSK = "kiosk"

    @staticmethod
    def of(session) -> str:
        """The proof of a session; one begun before proofs were kept counts as the weakest of its method."""
        proof = session.get(SESSION_PROOF)
        if proof:
            return proof
        method = session.get(SESSION_METHOD, Method.PASSWORD)
        return {Method.CERTIFICATE: Proof.CERTIFICATE, Method.KIOSK: Proof.KIOSK}.get(method, Proof.CARD_NUMBER)


_DUMMY_HASH = make_password("a password nobody has")


class LoginError(ValueError):
    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


def _wrong() -> LoginError:
    return LoginError(_("The national ID, card number or password is not correct."))


def _locked() -> LoginError:
    return LoginError(_("Too many wrong passwords: reset your password to use the service again."), code="locked")


def _source_name(source: str) -> str:
    return "login-source:" + throttle_bucket(source)


def take_login_slots(source: str, device: str = "") -> list[str]:
    """Take one attempt slot of the client address (and of the app's device) before anything is checked.

    Refused, with nothing checked, once the window's slots are used up. The slot is
    taken in one atomic step, so a parallel burst checks exactly the limit; a
    successful attempt gives its slots back (``give_back_slots``), a failed one keeps them.
    """
    limits_of = [(_source_name(source), policy.LOGIN_MAX_FAILURES_PER_SOURCE, "address")]
    if device:
        limits_of.append(("login-device:" + device, policy.LOGIN_MAX_FAILURES_PER_DEVICE, "device"))
    taken: list[str] = []
    for name, limit, what in limits_of:
        taken.append(name)
        if limits.hit(name, policy.LOGIN_FAILURE_WINDOW) > limit:
            if what == "device":
                raise LoginError(_("Too many failed attempts from this device; try again later."), code="throttled")
            raise LoginError(_("Too many failed attempts from this address; try again later."), code="throttled")
    return taken


def give_back_slots(slots: list[str]) -> None:
    for name in slots:
        limits.give_back(name)


def _take_account_slot(account: OnlineAccount) -> bool:
    """One of the account's wrong-password slots, taken atomically before its password is checked.

    False when none is left: the account is locked, or its last slots are being
    used by attempts still in flight, and its password is not checked at all.
    A suspended or pending account has its slots too (it is not locked by them).
    """
    return bool(
        OnlineAccount.objects.filter(
            pk=account.pk,
            status__in=_COUNTED,
            failed_logins__lt=policy.LOGIN_MAX_FAILURES_PER_ACCOUNT,
        ).update(failed_logins=F("failed_logins") + 1)
    )


_COUNTED = (OnlineAccount.Status.ACTIVE, OnlineAccount.Status.SUSPENDED, OnlineAccount.Status.PENDING)


def _account_failed(account: OnlineAccount) -> None:
    """A wrong password on a slot of the account: the one that used the last slot locks it and tells the person."""
    with transaction.atomic():
        locked = OnlineAccount.objects.filter(
            pk=account.pk,
            status=OnlineAccount.Status.ACTIVE,
            failed_logins__gte=policy.LOGIN_MAX_FAILURES_PER_ACCOUNT,
        ).update(status=OnlineAccount.Status.LOCKED, locked_at=timezone.now())
        if locked:
            notify(account, "locked")


def _account_for(national_id: str) -> OnlineAccount | None:
    value = nid.normalize(national_id)
    if not nid.is_valid(value):
        return None
    person = Person.objects.by_national_id(value).first()
    return getattr(person, "online_account", None) if person else None


def _check(account: OnlineAccount | None, holder_shown: bool, password: str, slots: list[str], wrong) -> OnlineAccount:
    """The rule every password login shares once its address (and device) slot is taken (decisions.md).

    - Nothing only the holder has was shown (no such account, a wrong card number
      or card digits, a device not verified for this person): one password hash of
      nobody's password, the generic answer, counted against the address and device only.
      So nobody can lock a stranger out by knowing their national ID.
    - A locked account checks no password: whatever was typed, the same answer.
    - An active account: a wrong-password slot of the account is taken first,
      atomically, so parallel guesses check at most the limit; the last one locks it.
    - A suspended or pending account is named only after the right password, and
      its password is guessed no more freely than an active one's: it has the same
      slots, and once they are used every attempt is answered as a wrong password,
      unchecked (it cannot log in anyway; reinstating or confirming clears them).
    """
    if account is None or not holder_shown:
        check_password(password, _DUMMY_HASH)  # the same cost as a real check: timing tells nothing
        raise wrong()
    if account.status not in _COUNTED:  # locked
        check_password(password, _DUMMY_HASH)
        raise _locked()
    active = account.status == OnlineAccount.Status.ACTIVE
    if not _take_account_slot(account):
        check_password(password, _DUMMY_HASH)
        raise _locked() if active else wrong()
    if not check_password(password, account.password):
        if active:
            _account_failed(account)
        raise wrong()
    OnlineAccount.objects.filter(pk=account.pk).update(failed_logins=0)
    give_back_slots(slots)  # the right password: no guess, even when the account cannot log in
    if active:
        return account
    if account.status == OnlineAccount.Status.SUSPENDED:
        raise LoginError(_("This registration is suspended; please contact an NHI office."), code="suspended")
    raise LoginError(_("Finish the registration first: open the confirmation e-mail."), code="pending")


def check_current_password(account: OnlineAccount, password: str) -> OnlineAccount:
    """The current password asked for before it is changed, counted against the account as a login's is.

    Whoever holds the session (a browser left open at home, a certificate login)
    could otherwise guess the registration password without limit on the change
    page. Each guess takes one of the account's wrong-password slots (in the
    database) and the one that uses the last locks the account. No address slot:
    the session is one account's, and the change keeps working while Redis is away.
    """
    return _check(account, True, password, [], lambda: LoginError(_("The current password is not correct.")))


def authenticate_with_card_number(national_id: str, card_number: str, password: str, source: str) -> OnlineAccount:
    """Web login without a reader: national ID + card number + registration password (captcha checked by the form).

    The card number printed on the newest card is what only the holder has here.
    """
    slots = take_login_slots(source)
    account = _account_for(national_id)
    card = valid_card(account.person) if account is not None else None
    holder = card is not None and hmac.compare_digest(card.card_number.encode(), card_number.strip().encode())
    if not holder:
        # An old card of this ID (replaced, or reported lost) is told apart: its holder needs to know which card
        # to use. It depends on the card records only (every insured person has them, registered or not), and
        # the password is not checked, so it tells nothing of the registration or the password.
        value = nid.normalize(national_id)
        person = Person.objects.by_national_id(value).first() if nid.is_valid(value) else None
        refusal = card_refusal(person, card_number)
        if refusal:
            check_password(password, _DUMMY_HASH)
            raise LoginError(refusal, code="old_card")
    return _check(account, holder, password, slots, _wrong)


def authenticate_with_card_suffix(
    national_id: str, card_last4: str, password: str, source: str, device: str = ""
) -> OnlineAccount:
    """App phone verification: national ID + the last digits of the newest card + registration password.

    The card digits are what only the holder has; ``device`` (the app's device identifier) is throttled too.
    Being only a few digits, they are also guessed per national ID, whatever the address: after
    ``PHONE_CHECK_MAX_WRONG_DIGITS`` wrong ones in a window this route checks nothing for that ID (any ID,
    registered or not, so the pause tells nothing), and a stranger spread over many addresses can no longer
    find the digits and then lock the account with wrong passwords.
    """
    slots = take_login_slots(source, "phone:" + device if device else "")
    value = nid.normalize(national_id)
    guesses = "phone-digits:" + (Person.hash_national_id(value) if nid.is_valid(value) else "invalid")
    if limits.hit(guesses, policy.PHONE_CHECK_WINDOW) > policy.PHONE_CHECK_MAX_WRONG_DIGITS:
        check_password(password, _DUMMY_HASH)
        raise LoginError(
            _(
                "Too many wrong card digits for this national ID: verify this phone with a device verification "
                "code, or try again later."
            ),
            code="throttled",
        )
    account = _account_for(national_id)
    card = valid_card(account.person) if account is not None else None
    digits = policy.CARD_LAST_DIGITS_FOR_PHONE_CHECK
    given = card_last4.strip()
    holder = (
        card is not None
        and len(given) == digits
        and hmac.compare_digest(card.card_number[-digits:].encode(), given.encode())
    )
    if holder:
        limits.give_back(guesses)  # the right digits are no guess at them
    return _check(account, holder, password, slots, _wrong)


def _wrong_on_device() -> LoginError:
    return LoginError(_("The national ID or password is not correct, or this device is not verified for it."))


def authenticate_on_device(
    device_person: Person | None, national_id: str, password: str, source: str, device: str = ""
) -> OnlineAccount:
    """App login: national ID + registration password, from a device verified for that person.

    The device credential of the person's enabled device is what only the holder has.
    """
    slots = take_login_slots(source, "app:" + device if device else "")
    account = _account_for(national_id)
    holder = account is not None and device_person is not None and account.person_id == device_person.pk
    return _check(account, holder, password, slots, _wrong_on_device)


def authenticate_with_card(card: NhiCard, password: str, source: str) -> OnlineAccount:
    """Web login with the card in the reader (its proof already verified) + registration password."""
    slots = take_login_slots(source)
    account = OnlineAccount.objects.filter(person_id=card.person_id).first()
    if account is None:
        check_password(password, _DUMMY_HASH)
        raise LoginError(_("This card is not registered for online services yet."), "unregistered")
    return _check(account, True, password, slots, lambda: LoginError(_("The registration password is not correct.")))


def authenticate_unit(code: str, password: str, source: str) -> InsuranceUnit:
    """Unit portal login (SPEC §3.3): unit code + portal password, limited per address and per unit code there.

    After ``UNIT_LOGIN_MAX_FAILURES`` wrong passwords for one unit code from one
    address (IPv6 by /64), that address gets the same answer for every password,
    right or wrong, until its window ends. Counted per code *and* address, as the
    staff login is (django-axes): a unit code is no secret, and a lock of the whole
    unit let anyone keep it shut out with six requests an hour. Codes that name no
    unit are counted and answered alike, so the lock tells no one which codes exist.
    """
    slots = take_login_slots(source)
    code = code.strip()
    name = f"unit-login:{code}:{throttle_bucket(source)}"
    if limits.hit(name, policy.UNIT_LOGIN_LOCK_WINDOW) > policy.UNIT_LOGIN_MAX_FAILURES:
        check_password(password, _DUMMY_HASH)
        minutes = int(policy.UNIT_LOGIN_LOCK_WINDOW.total_seconds() // 60)
        raise LoginError(
            _("Too many wrong passwords for this unit code from this address: try again in up to %(minutes)s minutes.")
            % {"minutes": minutes},
            code="locked",
        )
    unit = InsuranceUnit.objects.filter(code=code).first()
    wrong = LoginError(_("The unit code or password is not correct."))
    if unit is None or not unit.portal_password:
        check_password(password, _DUMMY_HASH)
        raise wrong
    if not check_password(password, unit.portal_password):
        raise wrong
    limits.give_back(name)
    give_back_slots(slots)
    return unit


def session_auth_hash(account: OnlineAccount) -> str:
    """Changes whenever the password changes, which ends every session of the account."""
    return hmac.new(settings.SECRET_KEY.encode(), account.password.encode(), hashlib.sha256).hexdigest()


def authenticate_with_certificate(person: Person | None, source: str) -> Person:
    """Certificate + PIN (the certificate's proof already checked): no registration or password needed.

    ``person`` is None when the proof failed or names nobody insured; that counts against the address.
    """
    slots = take_login_slots(source)
    if person is None:
        raise LoginError(_("The citizen certificate could not be verified; read it again with the right PIN."))
    give_back_slots(slots)
    account = getattr(person, "online_account", None)
    if account is not None and account.status == OnlineAccount.Status.SUSPENDED:
        raise LoginError(_("This registration is suspended; please contact an NHI office."), code="suspended")
    return person


def authenticate_at_kiosk(card: NhiCard, household_number: str, source: str) -> Person:
    """Kiosk: the card (its proof already checked) + the household number the registry holds for its owner."""
    slots = take_login_slots(source)
    given = household_number.strip().upper()
    registered_household = adapter("household_registry").household_of(card.person.national_id)
    if not registered_household or not hmac.compare_digest(given.encode(), registered_household.upper().encode()):
        raise LoginError(_("The household number does not match this card's owner."))
    give_back_slots(slots)
    return card.person


def start_session(
    request,
    account: OnlineAccount,
    method: str = Method.PASSWORD,
    proof: str = Proof.CARD_NUMBER,
    since: float | None = None,
) -> None:
    """A session of a registered person, ended by a password change.

    ``since`` (a timestamp) keeps the time of the login when a session is begun again (a password change).
    """
    _start(request, account.person, method, policy.SESSION_IDLE_TIMEOUT, proof, since)
    request.session[SESSION_ACCOUNT] = str(account.pk)
    request.session[SESSION_AUTH] = session_auth_hash(account)


def start_person_session(request, person: Person, method: str) -> None:
    """A session proved by certificate or at a kiosk; a certificate session also reaches an active account."""
    idle = policy.KIOSK_IDLE_TIMEOUT if method == Method.KIOSK else policy.SESSION_IDLE_TIMEOUT
    _start(request, person, method, idle, Proof.KIOSK if method == Method.KIOSK else Proof.CERTIFICATE)
    if method == Method.KIOSK:
        request.session[SESSION_ENDS_AT] = (timezone.now() + policy.KIOSK_SESSION_LIMIT).timestamp()
        return
    account = OnlineAccount.objects.filter(person=person, status=OnlineAccount.Status.ACTIVE).first()
    if account is not None:
        request.session[SESSION_ACCOUNT] = str(account.pk)


def _start(request, person: Person, method: str, idle, proof: str, since: float | None = None) -> None:
    wanted = request.session.get("after_login", "")  # the page that sent the visitor to log in (decorators.py)
    request.session.flush()  # no session fixation, and nothing of an earlier visitor's session carries over
    if wanted:
        request.session["after_login"] = wanted
    request.session[SESSION_PERSON] = str(person.pk)
    request.session[SESSION_METHOD] = method
    request.session[SESSION_PROOF] = proof
    request.session[SESSION_SINCE] = since or timezone.now().timestamp()
    request.session.set_expiry(int(idle.total_seconds()))


def end_session(request) -> None:
    request.session.flush()
