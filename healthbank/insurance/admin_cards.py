"""The operators' queue of NHI card requests (健保卡補發申請審核, SPEC §10, §11).

The queue needs ``insurance.view_cardreplacementrequest``; approving, rejecting and seeing the photo need
``insurance.decide_cardreplacementrequest`` (the card replacement reviewers group has both, and nothing else).
The list shows masked names and IDs; opening a request (its address) and every photo shown are written to the
person's access log. Decisions go through ``card_replacement.approve_request`` / ``reject_request``. The queue's
page, permission checks, logging and decision are ``audit.review_queue.ReviewQueueAdmin``'s.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from healthbank import policy
from healthbank.audit.review_queue import ReviewQueueAdmin
from healthbank.core.masking import mask_card_number
from healthbank.vcard import photos

from . import card_replacement as service
from .models import CardReplacementRequest

DECIDE_PERMISSION = "insurance.decide_cardreplacementrequest"
SHOWN_REQUEST = "card_replacement.request"
SHOWN_PHOTO = "card_replacement.photo"
_QUEUE_LOOKUPS = frozenset({"status", "status__exact", "reason", "reason__exact"})


@admin.register(CardReplacementRequest)
class CardReplacementRequestAdmin(ReviewQueueAdmin):
    """健保卡補發申請 — the queue: waiting requests first, the oldest at the top."""

    list_display = ["submitted_at", "holder_name", "holder_id", "reason", "fee", "applied_on_behalf", "status"]
    list_filter = ["status", "reason"]
    review_template = "admin/insurance/cardreplacementrequest/review.html"
    review_title = _("Decide the card request of %(person)s")
    review_select_related = ("person", "applicant", "decided_by", "old_card", "new_card")
    queue_lookups = _QUEUE_LOOKUPS
    decide_permission = DECIDE_PERMISSION
    refusal = service.CardRequestRefused
    reason_max = policy.NHI_CARD_REJECTION_REASON_MAX
    shown_detail = SHOWN_REQUEST
    file_route = "photo/"
    file_url_name = "photo"

    def approve(self, request, item: CardReplacementRequest) -> str:
        approval = service.approve_request(request.user, item)
        done = gettext("The request of %(name)s is approved: new card …%(last4)s; the person is told by e-mail.")
        return done % {"name": item.person.masked_name, "last4": approval.card.card_number[-4:]}

    def reject(self, request, item: CardReplacementRequest, reason: str) -> str:
        service.reject_request(request.user, item, reason)
        done = gettext("The request of %(name)s is rejected; the person is told the reason by e-mail.")
        return done % {"name": item.person.masked_name}

    def review_context(self, request, item: CardReplacementRequest, can_decide: bool) -> dict:
        return {
            "age": item.person.age_on(timezone.localdate()),
            "old_card": mask_card_number(item.old_card.card_number) if item.old_card else "",
            "new_card": mask_card_number(item.new_card.card_number) if item.new_card else "",
            "photo_url": self.file_url(item) if can_decide and item.photo else "",
        }

    def read_file(self, object_id):
        """The photo for the new card."""
        row = CardReplacementRequest.objects.filter(pk=object_id).only("person_id", "photo").first()
        if row is None or not row.photo:
            raise Http404
        try:
            jpeg = photos.read_photo(row.photo)
        except (ValueError, FileNotFoundError):
            raise Http404 from None
        return row.person_id, jpeg, "image/jpeg", SHOWN_PHOTO
