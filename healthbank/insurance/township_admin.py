"""The township office's queue (公所投保申請審核; SPEC §10, §11): requests to enrol, transfer out, suspend and
resume in category 6, decided by an officer.

The queue needs ``insurance.view_townshiprequest``; deciding and reading the document need
``insurance.review_townshiprequest`` (the township officers group has both, and nothing else but the person's
name). Lists show masked names and IDs and no document; opening a request and every document shown are written
to the person's access log. Decisions go through ``township.approve_request`` / ``reject_request``, which keep
the rules (one decision, a reason the person reads, the enrolment change in the same transaction, the e-mail).
The queue's page, permission checks, logging and decision are ``audit.review_queue.ReviewQueueAdmin``'s.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from healthbank import policy
from healthbank.audit.review_queue import PDF, ReviewQueueAdmin
from healthbank.core.masking import mask_email

from . import documents, township
from .models import TownshipRequest

REVIEW_PERMISSION = "insurance.review_townshiprequest"
SHOWN_REQUEST = "township.request"
SHOWN_DOCUMENT = "township.document"
_QUEUE_LOOKUPS = frozenset(
    {"status", "status__exact", "kind", "kind__exact", "reason", "reason__exact", "unit__county"}
)


class CountyFilter(admin.SimpleListFilter):
    """Which county's township offices: an office works its own requests."""

    title = _("county or city")
    parameter_name = "unit__county"

    def lookups(self, request, model_admin):
        return [(county, county) for county in township.township_choices()]

    def queryset(self, request, queryset):
        return queryset.filter(unit__county=self.value()) if self.value() else queryset


@admin.register(TownshipRequest)
class TownshipRequestAdmin(ReviewQueueAdmin):
    """公所投保申請審核 — waiting requests first, the oldest at the top."""

    list_display = ["submitted_at", "person_name", "holder_id", "kind", "reason", "office", "effective_on", "status"]
    list_filter = ["status", "kind", "reason", CountyFilter]
    list_select_related = ["person", "unit"]
    review_template = "admin/insurance/townshiprequest/review.html"
    review_title = _("Review the request of %(person)s")
    review_select_related = ("person", "requested_by", "unit", "reviewer", "enrolment")
    queue_lookups = _QUEUE_LOOKUPS
    decide_permission = REVIEW_PERMISSION
    refusal = township.TownshipRefused
    reason_max = policy.TOWNSHIP_REJECTION_REASON_MAX
    shown_detail = SHOWN_REQUEST
    file_route = "document/"
    file_url_name = "document"

    @admin.display(description=_("person"))
    def person_name(self, obj: TownshipRequest) -> str:
        return obj.person.masked_name

    @admin.display(description=_("township office"))
    def office(self, obj: TownshipRequest) -> str:
        return obj.unit.name

    def approve(self, request, item: TownshipRequest) -> str:
        township.approve_request(request.user, item)
        done = gettext(
            "The request of %(name)s is approved; the enrolment records are changed and the person is told by e-mail."
        )
        return done % {"name": item.person.masked_name}

    def reject(self, request, item: TownshipRequest, reason: str) -> str:
        township.reject_request(request.user, item, reason)
        done = gettext("The request of %(name)s is rejected; the person is told the reason by e-mail.")
        return done % {"name": item.person.masked_name}

    def review_context(self, request, item: TownshipRequest, can_decide: bool) -> dict:
        document_kept = item.status != TownshipRequest.Status.REJECTED
        return {
            "on_behalf": item.requested_by_id != item.person_id,
            "email": mask_email(item.email),
            "current": township.current_enrolment(item.person, timezone.localdate()),
            "document_needed": township.document_needed(item.kind, item.reason),
            "document_url": self.file_url(item) if can_decide and document_kept else "",
            "document_is_pdf": item.document_type == documents.PDF,
        }

    def read_file(self, object_id):
        """The document sent with the request (a PDF or an image)."""
        found = TownshipRequest.objects.filter(pk=object_id).only("person_id", "document", "document_type").first()
        if found is None or not found.document:
            raise Http404
        try:
            data = documents.read_document(found.document, found.document_type)
        except (ValueError, FileNotFoundError):
            raise Http404 from None
        return found.person_id, data, PDF if found.document_type == documents.PDF else "image/jpeg", SHOWN_DOCUMENT
