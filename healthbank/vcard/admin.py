"""The NHI operators' pages of the virtual card (SPEC §9, §11): the review queue of applications, and read-only
lists of scans, institutions' requests and delegations for answering a person's questions.

The queue needs ``vcard.view_cardapplication``; approving and rejecting, and seeing the two photos, need
``vcard.review_cardapplication`` (the virtual card reviewers group has both). Lists show masked names and IDs;
opening an application and every photo served are written to the person's access log, because the photos show
their face and their ID document. Decisions go through ``services.approve_application`` and
``services.reject_application``, which keep the rules (one review only, a reason the person reads, the e-mail).
The queue's page, permission checks, logging and decision are ``audit.review_queue.ReviewQueueAdmin``'s.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from healthbank import policy
from healthbank.audit.models import AccessLog
from healthbank.audit.operator_pages import PersonDataAdmin
from healthbank.audit.review_queue import ReviewQueueAdmin
from healthbank.core.masking import MASK_CHAR, mask_email

from . import photos, services
from .models import CardApplication, CardScan, Delegation, InstitutionRequest

REVIEW_PERMISSION = "vcard.review_cardapplication"

# Access-log detail codes: which of the application's pages or photos was shown.
SHOWN_APPLICATION = "vcard.application"
SHOWN_PHOTOS = {"document": ("document_photo", "vcard.document_photo"), "portrait": ("portrait", "vcard.portrait")}

# The queue's filters are the only lookups: a list across people must not be narrowed by phone or e-mail
# (that would tell who applied with an address the operator already knows).
_QUEUE_LOOKUPS = frozenset({"status", "status__exact", "document", "document__exact"})


def mask_phone(value: str) -> str:
    """``0912345678`` → ``0912***678``: enough to confirm a number the person reads out, not to call it."""
    if len(value) <= 7:
        return MASK_CHAR * len(value)
    return value[:4] + MASK_CHAR * (len(value) - 7) + value[-3:]


@admin.register(CardApplication)
class CardApplicationAdmin(ReviewQueueAdmin):
    """虛擬健保卡申請審核 — the review queue: waiting applications first, the oldest at the top."""

    list_display = ["submitted_at", "holder_name", "holder_id", "age", "document", "applied_on_behalf", "status"]
    list_filter = ["status", "document"]
    review_template = "admin/vcard/cardapplication/review.html"
    review_title = _("Review the application of %(person)s")
    review_select_related = ("person", "applicant", "reviewer")
    queue_lookups = _QUEUE_LOOKUPS
    decide_permission = REVIEW_PERMISSION
    refusal = services.CardRefused
    reason_max = policy.VCARD_REJECTION_REASON_MAX
    access_what = AccessLog.What.VCARD_PHOTOS
    shown_detail = SHOWN_APPLICATION
    file_route = "photo/<str:kind>/"
    file_url_name = "photo"

    @admin.display(description=_("age"))
    def age(self, obj: CardApplication) -> int:
        return obj.person.age_on(timezone.localdate())

    def approve(self, request, item: CardApplication) -> str:
        services.approve_application(request.user, item)
        done = gettext("The application of %(name)s is approved; the person is told by e-mail.")
        return done % {"name": item.person.masked_name}

    def reject(self, request, item: CardApplication, reason: str) -> str:
        services.reject_application(request.user, item, reason)
        done = gettext("The application of %(name)s is rejected; the person is told the reason by e-mail.")
        return done % {"name": item.person.masked_name}

    def review_context(self, request, item: CardApplication, can_decide: bool) -> dict:
        person = item.person
        photos_kept = item.status in (CardApplication.Status.SUBMITTED, CardApplication.Status.APPROVED)
        photo_urls = {}
        if can_decide and photos_kept:
            photo_urls = {
                kind: self.file_url(item, kind) for kind, (field, _code) in SHOWN_PHOTOS.items() if getattr(item, field)
            }
        person_url = ""
        if request.user.has_perm("identity.view_person"):
            person_url = reverse("admin:identity_person_change", args=[person.pk])
        return {
            "person_url": person_url,
            "age": person.age_on(timezone.localdate()),
            "phone": mask_phone(item.phone),
            "email": mask_email(item.email),
            "photos_kept": photos_kept,
            "photo_urls": photo_urls,
        }

    def read_file(self, object_id, kind: str = ""):
        """One photo of an application: the document's or the half-body one."""
        if kind not in SHOWN_PHOTOS:
            raise Http404
        field, code = SHOWN_PHOTOS[kind]
        application = CardApplication.objects.filter(pk=object_id).only("person_id", field).first()
        name = getattr(application, field, "") if application is not None else ""
        if not name:
            raise Http404
        try:
            jpeg = photos.read_photo(name)
        except (ValueError, FileNotFoundError):
            raise Http404 from None  # deleted with a rejection, or never stored under that name
        return application.person_id, jpeg, "image/jpeg", code


# --- read-only lists for answering questions ---------------------------------------------------------------------


class _CardRecordAdmin(PersonDataAdmin):
    """A person's card rows: across people only when and what kind; whose and where once narrowed (and logged)."""

    search_fields: list[str] = []
    search_help_text = None
    exact_search_field = ""

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if not self.exact_search_field:
            return queryset.none(), False
        return queryset.filter(**{self.exact_search_field: term}), False


@admin.register(CardScan)
class CardScanAdmin(_CardRecordAdmin):
    list_display = ["scanned_at", "institution", "presenter", "presented_by", "person", "token_id"]
    across_people_display = ("token_id", "scanned_at", "presenter")
    list_filter = ["presenter"]
    fields = ["token_id", "person", "institution", "presenter", "presented_by", "issued_at", "scanned_at"]
    search_fields = ["token_id"]
    search_help_text = _("The code id an institution quotes (exact).")
    exact_search_field = "token_id"


@admin.register(InstitutionRequest)
class InstitutionRequestAdmin(_CardRecordAdmin):
    list_display = ["requested_at", "institution", "purpose", "status", "answered_at", "person"]
    across_people_display = ("requested_at", "purpose", "status")
    list_filter = ["purpose", "status"]
    fields = ["person", "institution", "purpose", "status", "requested_at", "answer_by", "answered_at"]


@admin.register(Delegation)
class DelegationAdmin(_CardRecordAdmin):
    list_display = ["created_at", "kind", "status", "delegate", "starts_at", "ends_at", "person"]
    across_people_display = ("created_at", "kind", "status")
    list_filter = ["kind", "status"]
    # Never the hashes of the delegate's ID or of the code: nothing an operator needs, something to guess against.
    fields = [
        "person",
        "kind",
        "status",
        "label",
        "delegate",
        "answer_by",
        "starts_at",
        "ends_at",
        "created_at",
        "answered_at",
    ]
