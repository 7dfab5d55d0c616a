"""The township-office request e-mails (公所投保申請通知), written to the outbox with the decision.

Bilingual in one message, Chinese first with ROC dates, like every HealthBank e-mail: a masked name, the
request, the decision, the date it takes effect and the office's reason; never a national ID.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from healthbank.accounts.models import OutboxEmail
from healthbank.accounts.outbox import queue_email
from healthbank.core.rocdate import format_roc

SUBJECTS = {
    "approved": "公所投保申請已核准 Your request to the township office is approved",
    "rejected": "公所投保申請未核准 Your request to the township office was not approved",
}
KIND_ZH = {"enrol": "加保", "transfer_out": "轉出", "suspend": "停保", "resume": "復保"}
KIND_EN = {"enrol": "enrolment", "transfer_out": "transfer out", "suspend": "suspension", "resume": "resumption"}


def _page(request, language: str) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        path = reverse("insurance:township", args=[request.person_id])
    return settings.SITE_URL.rstrip("/") + path


def request_decided(request) -> OutboxEmail | None:
    if not request.email:
        return None
    decision = "approved" if request.status == "approved" else "rejected"
    context = {
        "decision": decision,
        "name": request.person.masked_name,
        "kind_zh": KIND_ZH[request.kind],
        "kind_en": KIND_EN[request.kind],
        "office": request.unit.name,
        "effective_roc": format_roc(request.effective_on),
        "effective": request.effective_on.isoformat(),
        "reason": request.rejection_reason,
        "link": _page(request, request.language),
    }
    return queue_email(
        kind=OutboxEmail.Kind.TOWNSHIP_OFFICE,
        person_id=request.person_id,
        to=request.email,
        subject=SUBJECTS[decision],
        body=render_to_string("insurance/email/township.txt", context),
    )
