"""The NHI operators' pages of the virtual card (SPEC §9, §11): the review queue of applications, and read-only
lists of scans, institutions' requests and delegations for answering a person's questions.

The queue needs ``vcard.view_cardapplication``; approving and rejecting, and seeing the two photos, need
``vcard.review_cardapplication`` (the virtual card reviewers group has both). Lists show masked names and IDs;
opening an application and every photo served are written to the person's access log, because the photos show
their face and their ID document. Decisions go through ``services.approve_application`` and
``services.reject_application``, which keep the rules (one review only, a reason the person reads, the e-mail).
"""

from __future__ import annotations

import uuid

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from healthbank import policy
from healthbank.audit.models import AccessLog
from healthbank.audit.operator_pages import PersonDataAdmin, ReadOnlyMixin, operator_view
from healthbank.audit.services import record_access
from healthbank.core.masking import MASK_CHAR, mask_email

from . import photos, services
from .models import CardApplication, CardScan, Delegation, InstitutionRequest

REVIEW_PERMISSION = "vcard.review_cardapplication"

# Access-log detail codes: which of the application's pages or photos was shown.
SHOWN_APPLICATION = "vcard.application"
SHOWN_PHOTOS = {"document": ("document_photo", "vcard.document_photo"), "portrait": ("portrait", "vcard.portrait")}

# The queue's filters are the only lookups: a list across people must not be narrowed by phone or e-mail
# (that would tell who applied with an address the operator already knows).
_QUEUE_LOOKUPS = {"status", "status__exact", "document", "document__exact"}


def mask_phone(value: str) -> str:
    """``0912345678`` → ``0912***678``: enough to confirm a number the person reads out, not to call it."""
    if len(value) <= 7:
        return MASK_CHAR * len(value)
    return value[:4] + MASK_CHAR * (len(value) - 7) + value[-3:]


@admin.register(CardApplication)
class CardApplicationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """虛擬健保卡申請審核 — the review queue: waiting applications first, the oldest at the top."""

    list_display = ["submitted_at", "holder_name", "holder_id", "age", "document", "applied_on_behalf", "status"]
    list_display_links = ["submitted_at"]
    list_filter = ["status", "document"]
    list_select_related = ["person"]
    list_per_page = 50
    actions = None
    review_template = "admin/vcard/cardapplication/review.html"

    @admin.display(description=_("card holder"))
    def holder_name(self, obj: CardApplication) -> str:
        return obj.person.masked_name

    @admin.display(description=_("national ID"))
    def holder_id(self, obj: CardApplication) -> str:
        return obj.person.national_id_masked

    @admin.display(description=_("age"))
    def age(self, obj: CardApplication) -> int:
        return obj.person.age_on(timezone.localdate())

    @admin.display(description=_("on behalf"))
    def applied_on_behalf(self, obj: CardApplication) -> str:
        return gettext("yes") if obj.on_behalf else gettext("no")

    def get_ordering(self, request):
        # Waiting ones first, oldest first (they have waited longest); the reviewed ones after, newest first.
        waiting = Q(status=CardApplication.Status.SUBMITTED)
        return [
            Case(When(waiting, then=Value(0)), default=Value(1), output_field=IntegerField()).asc(),
            Case(When(waiting, then=F("submitted_at"))).asc(),
            "-submitted_at",
        ]

    def lookup_allowed(self, lookup, value, request=None):
        return lookup in _QUEUE_LOOKUPS

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<uuid:application_id>/photo/<str:kind>/",
                self.admin_site.admin_view(require_GET(self.photo_view)),
                name="{}_{}_photo".format(*info),
            ),
            *super().get_urls(),
        ]

    # --- the review page ------------------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The application's page is the review page: shown with view permission, decided with review permission."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        application = self._application(object_id)
        if request.method == "POST":
            return self._decide(request, application)
        return self._review_page(request, application)

    def _application(self, object_id) -> CardApplication:
        try:
            pk = uuid.UUID(str(object_id))
        except ValueError:
            raise Http404 from None
        application = CardApplication.objects.select_related("person", "applicant", "reviewer").filter(pk=pk).first()
        if application is None:
            raise Http404
        return application

    def _decide(self, request, application: CardApplication):
        if not request.user.has_perm(REVIEW_PERMISSION):
            raise PermissionDenied
        decision = request.POST.get("decision", "")
        reason = request.POST.get("reason", "")
        try:
            if decision == "approve":
                services.approve_application(request.user, application)
                done = gettext("The application of %(name)s is approved; the person is told by e-mail.")
            elif decision == "reject":
                # The service decides what a valid reason is: one rule, one message, wherever it is refused.
                services.reject_application(request.user, application, reason)
                done = gettext("The application of %(name)s is rejected; the person is told the reason by e-mail.")
            else:
                messages.error(request, gettext("Decision: choose approve or reject."))
                return self._review_page(request, application, reason=reason, status=400)
        except services.CardRefused as exc:
            messages.error(request, exc.message)
            application = self._application(application.pk)  # someone else may have reviewed it meanwhile
            reason_error = exc.message if exc.field == "rejection_reason" else ""
            return self._review_page(request, application, reason=reason, reason_error=reason_error, status=exc.status)
        messages.success(request, done % {"name": application.person.masked_name})
        return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))

    def _review_page(
        self, request, application: CardApplication, *, reason: str = "", reason_error: str = "", status: int = 200
    ):
        person = application.person
        can_review = request.user.has_perm(REVIEW_PERMISSION)
        waiting = application.status == CardApplication.Status.SUBMITTED
        photos_kept = application.status in (CardApplication.Status.SUBMITTED, CardApplication.Status.APPROVED)
        photo_urls = {}
        if can_review and photos_kept:
            for kind, (field, _code) in SHOWN_PHOTOS.items():
                if getattr(application, field):
                    photo_urls[kind] = reverse(
                        f"admin:{self.opts.app_label}_{self.opts.model_name}_photo", args=[application.pk, kind]
                    )
        person_url = ""
        if request.user.has_perm("identity.view_person"):
            person_url = reverse("admin:identity_person_change", args=[person.pk])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Review the application of %(person)s") % {"person": person},
            "application": application,
            "person": person,
            "person_url": person_url,
            "age": person.age_on(timezone.localdate()),
            "phone": mask_phone(application.phone),
            "email": mask_email(application.email),
            "can_review": can_review,
            "waiting": waiting,
            "photos_kept": photos_kept,
            "photo_urls": photo_urls,
            "reason": reason,
            "reason_error": reason_error,
            "reason_max": policy.VCARD_REJECTION_REASON_MAX,
        }
        record_access(person.pk, what=AccessLog.What.VCARD_PHOTOS, operator=request.user, detail=SHOWN_APPLICATION)
        return TemplateResponse(request, self.review_template, context, status=status)

    @operator_view(REVIEW_PERMISSION)
    def photo_view(self, request, application_id, kind):
        """One photo of an application, for the review page only: never cached, every showing logged."""
        if kind not in SHOWN_PHOTOS:
            raise Http404
        field, code = SHOWN_PHOTOS[kind]
        application = CardApplication.objects.filter(pk=application_id).only("person_id", field).first()
        name = getattr(application, field, "") if application is not None else ""
        if not name:
            raise Http404
        try:
            jpeg = photos.read_photo(name)
        except (ValueError, FileNotFoundError):
            raise Http404 from None  # deleted with a rejection, or never stored under that name
        record_access(application.person_id, what=AccessLog.What.VCARD_PHOTOS, operator=request.user, detail=code)
        response = HttpResponse(jpeg, content_type="image/jpeg")
        response["Cache-Control"] = "no-store, private"
        response["Content-Disposition"] = "inline"
        return response


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
