"""The e-mail outbox: a change that committed answers as committed and its e-mail is never lost or sent twice.

The broker is made unreachable by pointing Celery at a closed port for the test,
never by stopping the shared Redis.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection, transaction

from healthbank import celery_app
from healthbank.accounts import outbox, tasks
from healthbank.accounts.models import OnlineAccount, OutboxEmail
from healthbank.accounts.notices import notify
from tests.accounts.conftest import PASSWORD, read_card
from tests.accounts.test_login import log_in

NEW = "Nw-2026ok"
NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens on port 1: the broker is away


def _forget_broker_connections():
    celery_app.amqp._producer_pool = None
    celery_app._pool = None


@pytest.fixture
def broker_away():
    """Tasks are sent to a broker (not run in-process) and the broker does not answer."""
    saved = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = False, NOWHERE
    _forget_broker_connections()
    yield
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = saved
    _forget_broker_connections()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def waiting(kind: str) -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(kind=kind, sent_at__isnull=True))


def test_a_password_change_while_the_broker_is_away_is_answered_as_done_and_its_notice_follows(
    client, registered, broker_away, committed
):
    log_in(client, registered)
    with committed():
        response = client.post(
            "/en/me/password/", {"current_password": PASSWORD, "password": NEW, "password_confirm": NEW}
        )
    assert response.status_code == 200 and "Your password is changed" in response.content.decode()
    assert client.get("/en/me/").status_code == 200  # the session was renewed with the new password
    assert not mail.outbox and len(waiting("security_notice")) == 1
    celery_app.conf.task_always_eager = True  # the broker is back: the sweep (Celery beat) sends what waited
    tasks.deliver_pending_emails.delay()
    [notice] = mail.outbox
    assert "password was changed" in notice.subject and notice.to == ["me@example.tw"]
    assert not waiting("security_notice")


def test_new_contacts_while_the_broker_is_away_are_saved_and_told(client, registered, broker_away, committed):
    log_in(client, registered)
    with committed():
        response = client.post("/en/me/contacts/", {"mobile": "0911222333", "email": "later@example.tw"})
    assert "Your contact details are saved." in response.content.decode()
    assert OnlineAccount.objects.get().email == "later@example.tw"
    assert [e.recipient for e in waiting("security_notice")] == ["me@example.tw"]


def test_a_reset_link_asked_for_while_the_broker_is_away_leaves_with_the_sweep(
    client, registered, broker_away, committed
):
    card = read_card(registered.cards[-1].card_number, "forgot")
    fields = {"challenge": card.challenge, "card_number": card.card_number, "national_id": card.national_id,
              "signature": card.signature, "route": "registered"}  # fmt: skip
    with committed():
        page = client.post("/en/password/forgot/", fields).content.decode()
    assert "sent" in page.lower() and len(waiting("password_reset")) == 1
    celery_app.conf.task_always_eager = True
    assert outbox.deliver_due() == 1
    assert "/password/reset/" in mail.outbox[0].body


def test_a_change_that_rolls_back_sends_nothing(registered):
    account = OnlineAccount.objects.get()
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(account, "password_changed")
        raise RuntimeError("the change failed after the notice was written")
    assert not OutboxEmail.objects.exists()
    assert outbox.deliver_due() == 0 and not mail.outbox


def test_a_mail_server_that_refuses_is_tried_again_later(registered, monkeypatch, time_machine):
    account = OnlineAccount.objects.get()
    notify(account, "password_changed")
    from django.core.mail import EmailMessage

    real_send = EmailMessage.send

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("mail server away")

    monkeypatch.setattr(EmailMessage, "send", refuse)
    assert outbox.deliver_due() == 0
    row = OutboxEmail.objects.get()
    assert (row.attempts, row.sent_at) == (1, None) and "mail server away" in row.last_error
    monkeypatch.setattr(EmailMessage, "send", real_send)
    assert outbox.deliver_due() == 0  # not before its pause
    time_machine.shift(dt.timedelta(minutes=2))
    assert outbox.deliver_due() == 1 and len(mail.outbox) == 1
    row.refresh_from_db()
    # A sent security notice keeps its text (it holds no one-time link: the person's list of notices shows it);
    # a sent e-mail with a one-time link keeps none (tests/insurance/test_records.py).
    assert row.sent_at is not None and "password" in row.body and row.kind in outbox.KEEPS_BODY


@pytest.mark.django_db(transaction=True)
def test_two_workers_and_the_sweep_send_each_email_exactly_once(registered):
    account = OnlineAccount.objects.get()
    for n in range(20):
        with transaction.atomic():
            notify(account, "contacts_changed", to=f"old{n}@example.tw")
    ids = [str(pk) for pk in OutboxEmail.objects.values_list("pk", flat=True)]
    start = threading.Barrier(3)

    def worker(run):
        start.wait()
        try:
            run()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(lambda: tasks.deliver_emails(ids),)),
        threading.Thread(target=worker, args=(lambda: tasks.deliver_emails(list(reversed(ids))),)),
        threading.Thread(target=worker, args=(tasks.deliver_pending_emails,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted(f"old{n}@example.tw" for n in range(20))
    assert not OutboxEmail.objects.filter(sent_at__isnull=True).exists()
