"""What each e-mail says, written into the outbox in the same transaction as the change it tells of.

E-mails are bilingual in one message, Chinese first (decisions.md): the Chinese part
gives dates in the ROC calendar (``115/12/08 21:08``), the English part in the
Gregorian one. Links open in the language the person (or unit) used.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from healthbank import policy
from healthbank.core.rocdate import format_roc

from .models import OutboxEmail
from .outbox import queue_email


def roc_datetime(value: dt.datetime) -> str:
    """``2026-12-08 21:08`` (aware, any zone) → ``115/12/08 21:08`` in the site's time zone."""
    local = timezone.localtime(value)
    return f"{format_roc(local.date())} {local:%H:%M}"


def _link(language: str, name: str, token: str) -> str:
    with translation.override(language):  # the link opens in the language the person used
        return settings.SITE_URL.rstrip("/") + reverse(name, args=[token])


def registration(application, raw_token: str, *, deliver: bool = True) -> OutboxEmail:
    """The confirmation e-mail of an online, resent or insurance-unit registration (SPEC §3)."""
    context = {
        "name": application.person.masked_name,
        "link": _link(application.language, "accounts:confirm", raw_token),
        "days": policy.REGISTRATION_CONFIRM_DAYS,
        "expires_at": application.expires_at,
        "expires_roc": roc_datetime(application.expires_at),
        "unit": application.unit,
    }
    return queue_email(
        kind=OutboxEmail.Kind.REGISTRATION,
        person_id=application.person_id,
        to=application.email,
        subject="健保卡網路服務註冊確認信 NHI card online-service registration: please confirm",
        body=render_to_string("accounts/email/registration_confirm.txt", context),
        deliver=deliver,
    )


def password_reset(reset, raw_token: str) -> OutboxEmail:
    context = {
        "name": reset.person.masked_name,
        "link": _link(reset.language, "accounts:password-reset", raw_token),
        "expires_at": reset.expires_at,
        "expires_roc": roc_datetime(reset.expires_at),
    }
    return queue_email(
        kind=OutboxEmail.Kind.PASSWORD_RESET,
        person_id=reset.person_id,
        to=reset.email,
        subject="健保卡網路服務 重設密碼 NHI online services: reset your password",
        body=render_to_string("accounts/email/password_reset.txt", context),
    )


NOTICE_SUBJECTS = {
    "password_changed": "健保卡網路服務：密碼已變更 Your password was changed",
    "contacts_changed": "健保卡網路服務：聯絡資料已變更 Your contact details were changed",
    "device_bound": "健保卡網路服務：新的行動裝置 A new mobile device was verified",
    "locked": "健保卡網路服務：帳號已鎖定 Your account is locked",
}


def security_notice(account, kind: str, address: str, detail: dict) -> OutboxEmail:
    """A security notice (accounts.notices); names the change and what to do if it was not the person."""
    when = timezone.now()
    context = {
        "name": account.person.masked_name,
        "kind": kind,
        "when": when,
        "when_roc": roc_datetime(when),
        "detail": detail,
    }
    return queue_email(
        kind=OutboxEmail.Kind.SECURITY_NOTICE,
        person_id=account.person_id,
        to=address,
        subject=NOTICE_SUBJECTS[kind],
        body=render_to_string("accounts/email/security_notice.txt", context),
    )


def batch_result(upload, result_csv: str) -> OutboxEmail | None:
    """The result file of a batch registration to the unit's contact (SPEC §3.3), in the upload's language."""
    unit = upload.unit
    if not unit.contact_email:
        return None
    context = {
        "upload": upload,
        "unit": unit,
        "uploaded_roc": roc_datetime(upload.uploaded_at),
        "days": policy.REGISTRATION_CONFIRM_DAYS,
    }
    return queue_email(
        kind=OutboxEmail.Kind.BATCH_RESULT,
        to=unit.contact_email,
        subject=f"整批註冊結果 Batch registration result {upload.file_name}",
        body=render_to_string("accounts/email/batch_result.txt", context),
        attachment_name=upload.result_file_name,
        attachment=result_csv,
    )
