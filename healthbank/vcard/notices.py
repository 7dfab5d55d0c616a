"""The virtual card's e-mails (SPEC §9), written to the outbox in the transaction of what they tell of.

Bilingual in one message, Chinese first with ROC dates (as every HealthBank
e-mail; decisions.md). They name institutions and masked names only: never a
national ID, never health data.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from healthbank import policy
from healthbank.accounts.emails import roc_datetime
from healthbank.accounts.models import OnlineAccount, OutboxEmail
from healthbank.accounts.outbox import queue_email

SUBJECTS = {
    "approved": "虛擬健保卡申請已核准 Your virtual NHI card is approved",
    "rejected": "虛擬健保卡申請未通過 Your virtual NHI card application was not approved",
    "used": "虛擬健保卡使用通知 Your virtual NHI card was used",
    "institution_asks": "醫事機構請求使用您的虛擬健保卡 An institution asks to use your virtual NHI card",
    "household_asks": "同一健保戶成員授權您使用虛擬健保卡 A household member lends you their virtual NHI card",
}


def _card_page(language: str = "") -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        return settings.SITE_URL.rstrip("/") + reverse("vcard:home")


def _send(kind: str, person_id, to: str, context: dict) -> OutboxEmail | None:
    if not to:
        return None
    context = {"kind": kind, "link": _card_page(context.pop("language", "")), **context}
    return queue_email(
        kind=OutboxEmail.Kind.VIRTUAL_CARD,
        person_id=person_id,
        to=to,
        subject=SUBJECTS[kind],
        body=render_to_string("vcard/email/notice.txt", context),
    )


def _account_email(person_id) -> str:
    return OnlineAccount.objects.filter(person_id=person_id).values_list("email", flat=True).first() or ""


def application_reviewed(application) -> OutboxEmail | None:
    kind = "approved" if application.status == "approved" else "rejected"
    return _send(
        kind,
        application.person_id,
        application.email,
        {
            "name": application.person.masked_name,
            "reason": application.rejection_reason,
            "language": application.language,
        },
    )


def card_used_by_delegate(scan, card) -> OutboxEmail | None:
    """每次被授權人使用虛擬卡就醫，發送電子郵件提示 (SPEC §9)."""
    return _send(
        "used",
        scan.person_id,
        card.email,
        {
            "name": scan.person.masked_name,
            "delegate": scan.presented_by.masked_name if scan.presented_by else "",
            "institution": scan.institution.name,
            "institution_en": scan.institution.name_en or scan.institution.name,
            "when": scan.scanned_at,
            "when_roc": roc_datetime(scan.scanned_at),
            "language": card.language,
        },
    )


def institution_asks(request) -> OutboxEmail | None:
    return _send(
        "institution_asks",
        request.person_id,
        _account_email(request.person_id),
        {
            "name": request.person.masked_name,
            "institution": request.institution.name,
            "institution_en": request.institution.name_en or request.institution.name,
            "minutes": policy.VCARD_INSTITUTION_ACCEPT_WITHIN.seconds // 60,
            "until": request.answer_by,
            "until_roc": roc_datetime(request.answer_by),
        },
    )


def household_asks(delegation) -> OutboxEmail | None:
    return _send(
        "household_asks",
        delegation.delegate_id,
        _account_email(delegation.delegate_id),
        {
            "name": delegation.delegate.masked_name,
            "holder": delegation.person.masked_name,
            "minutes": policy.VCARD_HOUSEHOLD_ACCEPT_WITHIN.seconds // 60,
            "until": delegation.answer_by,
            "until_roc": roc_datetime(delegation.answer_by),
        },
    )
