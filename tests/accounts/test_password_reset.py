"""Forgot password by both routes, change password and contact data (SPEC §3)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail

from healthbank import policy
from healthbank.accounts.models import OnlineAccount
from tests.accounts.conftest import PASSWORD, read_card
from tests.accounts.test_login import log_in

NEW = "New-2027pw"


def proof(person, purpose):
    p = read_card(person.cards[-1].card_number, purpose)
    return {
        "challenge": p.challenge,
        "card_number": p.card_number,
        "national_id": p.national_id,
        "signature": p.signature,
    }


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def reset_path(message) -> str:
    return re.search(r"http://[^\s/]+(/\S*password/reset/[\w-]+/)", message.body).group(1)


def finish(client, person, path, password=NEW):
    return client.post(path, {**proof(person, "reset"), "password": password, "password_confirm": password})


def test_reset_by_the_registered_email_also_unlocks_a_locked_account(client, registered, on_commit):
    OnlineAccount.objects.update(status="locked", failed_logins=5)
    with on_commit():
        page = client.post("/en/password/forgot/", {**proof(registered, "forgot"), "route": "registered"})
    # Shown masked as the NHI's page shows it: whoever holds the card does not learn the address.
    assert "A password reset link was sent to m*****@example.tw" in page.content.decode()
    assert "me@example.tw" not in page.content.decode()
    assert mail.outbox[0].to == ["me@example.tw"]
    path = reset_path(mail.outbox[0])
    assert "Password changed" in finish(client, registered, path).content.decode()
    account = OnlineAccount.objects.get()
    assert (account.status, account.failed_logins) == ("active", 0)
    assert log_in(client, registered, password=NEW).status_code == 302
    assert finish(client, registered, path).status_code == 410  # the link works once


def test_reset_to_a_new_email_needs_the_registered_address_and_mobile(client, registered, on_commit):
    a = registered.address
    form = {
        "route": "new",
        "new_email": "new@example.tw",
        "household_number": a.household_number,
        "county": a.county,
        "township": a.township,
        "village": a.village,
        "neighbourhood": a.neighbourhood,
        "mobile": registered.mobile,
    }
    wrong = dict(form, mobile="0900000000")
    with on_commit():
        page = client.post("/en/password/forgot/", {**proof(registered, "forgot"), **wrong}).content.decode()
    assert "does not match our records" in page and not mail.outbox
    # What was typed is still there to correct, in the same address drop-downs as registration.
    assert 'value="new@example.tw"' in page and f'value="{a.household_number}"' in page
    assert f'value="{a.township}"' in page and 'data-places-url="/en/register/places.json"' in page
    assert 'aria-invalid="true"' in page and 'class="error-summary"' in page
    assert registered.national_id not in page  # the card's answer is not sent back
    with on_commit():
        client.post("/en/password/forgot/", {**proof(registered, "forgot"), **form})
    assert mail.outbox[0].to == ["new@example.tw"]
    finish(client, registered, reset_path(mail.outbox[0]))
    assert OnlineAccount.objects.get().email == "new@example.tw"  # the new e-mail becomes the registered one


def test_reset_links_expire(client, registered, on_commit, time_machine):
    with on_commit():
        client.post("/en/password/forgot/", {**proof(registered, "forgot"), "route": "registered"})
    time_machine.shift(policy.PASSWORD_RESET_LINK_VALID_FOR + dt.timedelta(seconds=1))
    expired = finish(client, registered, reset_path(mail.outbox[0]))
    assert expired.status_code == 410
    # Told about reset links (24 hours), not about registration confirmation links (5 days).
    assert "Password reset links work once and only for 24 hours" in expired.content.decode()
    assert "Confirmation links" not in expired.content.decode()


def test_change_password_keeps_this_session_and_ends_the_others(client, registered):
    from django.test import Client

    other = Client()
    log_in(other, registered, ip="10.4.4.4")
    log_in(client, registered)
    page = client.post(
        "/en/me/password/", {"current_password": PASSWORD, "password": NEW, "password_confirm": NEW}
    ).content.decode()
    assert "Your password is changed" in page
    assert client.get("/en/me/").status_code == 200
    assert other.get("/en/me/").status_code == 302
    wrong = client.post("/en/me/password/", {"current_password": "nope", "password": NEW, "password_confirm": NEW})
    assert "The current password is not correct." in wrong.content.decode()


def test_change_contacts(client, registered):
    log_in(client, registered)
    bad = client.post("/en/me/contacts/", {"mobile": "123", "email": "me@example.tw"}).content.decode()
    assert "starting with 09" in bad
    client.post("/en/me/contacts/", {"mobile": "0911222333", "email": "later@example.tw"})
    account = OnlineAccount.objects.get()
    assert (account.mobile, account.email) == ("0911222333", "later@example.tw")


def test_every_fault_of_the_contact_form_is_named_at_once(client, registered):
    log_in(client, registered)
    page = client.post(
        "/en/me/contacts/", {"mobile": "12345", "email": "me@example.tw", "backup_email": "nope", "landline": "abc"}
    ).content.decode()
    assert "starting with 09" in page and "valid email" in page and "area-number#extension" in page


def test_saving_unchanged_contacts_tells_nobody_they_changed(client, registered, on_commit):
    log_in(client, registered)
    account = OnlineAccount.objects.get()
    same = {"mobile": account.mobile, "email": account.email, "backup_email": "", "landline": ""}
    with on_commit():
        page = client.post("/en/me/contacts/", same).content.decode()
    assert "Nothing changed" in page and not mail.outbox
    with on_commit():
        client.post("/en/me/contacts/", {**same, "landline": "02-27065866"})
    assert len(mail.outbox) == 1 and "contact details were changed" in mail.outbox[0].subject


def test_a_wrong_current_password_and_a_weak_new_one_are_both_named(client, registered):
    log_in(client, registered)
    page = client.post(
        "/en/me/password/", {"current_password": "nope", "password": "abc", "password_confirm": "abd"}
    ).content.decode()
    assert "The current password is not correct." in page and "not the same" in page


@pytest.mark.parametrize(
    ("asked_at", "opens_at"), [("/en/password/forgot/", "/en/"), ("/password/forgot/", "/password/")]
)
def test_the_reset_link_opens_in_the_language_the_person_asked_in(client, registered, asked_at, opens_at):
    """The e-mail is written when the person asks; a worker in another language sends it as written."""
    from django.utils import translation

    from healthbank.accounts import outbox

    client.post(asked_at, {**proof(registered, "forgot"), "route": "registered"})  # not committed: not handed over
    assert not mail.outbox
    worker_language = "zh-hant" if opens_at == "/en/" else "en"  # a Celery worker runs in its own language
    with translation.override(worker_language):
        assert outbox.deliver_due() == 1
    assert reset_path(mail.outbox[0]).startswith(opens_at)


def test_guessing_the_current_password_on_the_change_page_locks_the_account_as_a_login_would(client, registered):
    """Found in issue 7's attack: a held session could check any number of guesses at the registration password
    here (40 parallel guesses, 40 checked, nothing counted). Each wrong one now counts against the account."""
    from healthbank import policy
    from healthbank.accounts.emails import NOTICE_SUBJECTS
    from healthbank.accounts.models import OutboxEmail

    log_in(client, registered)
    for n in range(policy.LOGIN_MAX_FAILURES_PER_ACCOUNT):
        page = client.post("/en/me/password/", {"current_password": f"guess-{n}", "password": NEW,
                                                "password_confirm": NEW}).content.decode()  # fmt: skip
        assert "The current password is not correct." in page
    account = OnlineAccount.objects.get()
    assert account.status == "locked"
    assert client.get("/en/me/").status_code == 302  # the session that guessed is over
    assert OutboxEmail.objects.filter(subject=NOTICE_SUBJECTS["locked"]).count() == 1  # the person is told
    assert account.password == OnlineAccount.objects.get().password  # unchanged


def test_the_right_current_password_still_changes_it_after_a_wrong_one(client, registered):
    log_in(client, registered)
    client.post("/en/me/password/", {"current_password": "nope", "password": NEW, "password_confirm": NEW})
    page = client.post("/en/me/password/", {"current_password": PASSWORD, "password": NEW, "password_confirm": NEW})
    assert "Your password is changed" in page.content.decode()
    assert OnlineAccount.objects.get().failed_logins == 0


def test_the_password_still_changes_while_the_cache_is_away(client, registered, settings):
    """The wrong-password count is the account's, in the database: the change needs no Redis."""
    log_in(client, registered)
    before = settings.CACHES
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
                                   "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}  # fmt: skip
    try:
        page = client.post("/en/me/password/", {"current_password": PASSWORD, "password": NEW,
                                                "password_confirm": NEW})  # fmt: skip
    finally:
        settings.CACHES = before  # before the shared clean-up clears the cache
    assert page.status_code == 200 and "Your password is changed" in page.content.decode()
