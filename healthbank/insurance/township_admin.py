"""The township office's queue (公所投保申請審核; SPEC §10, §11): requests to enrol, transfer out, suspend and
resume in category 6, decided by an officer.

The queue needs ``insurance.view_townshiprequest``; deciding and reading the document need
``insurance.review_townshiprequest`` (the township officers group has both, and nothing else but the person's
name). Lists show masked names and IDs and no document; opening a request and every document shown are written
to the person's access log. Decisions go through ``township.approve_request`` / ``reject_request``, which keep
the rules (one decision, a reason the person reads, the enrolment change in the same transaction, the e-mail).
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
from healthbank.audit.operator_pages import ReadOnlyMixin, operator_view
from healthbank.audit.services import record_access
from healthbank.core.masking import mask_email

from . import documents, township
from .models import TownshipRequest

REVIEW_PERMISSION = "insurance.review_townshiprequest"
SHOWN_REQUEST = "township.request"
SHOWN_DOCUMENT = "township.document"
_QUEUE_LOOKUPS = {"status", "status__exact", "kind", "kind__exact", "reason", "reason__exact", "unit__county"}


class CountyFilter(admin.SimpleListFilter):
    """Which county's township offices: an office works its own requests."""

    title = _("county or city")
    parameter_name = "unit__county"

    def lookups(self, request, model_admin):
        return [(county, county) for county in township.township_choices()]

    def queryset(self, request, queryset):
        return queryset.filter(unit__county=self.value()) if self.value() else queryset


@admin.register(TownshipRequest)
class TownshipRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """公所投保申請審核 — waiting requests first, the oldest at the top."""

    list_display = [
        "submitted_at",
        "person_name",
        "person_id_masked",
        "kind",
        "reason",
        "office",
        "effective_on",
        "status",
    ]
    list_display_links = ["submitted_at"]
    list_filter = ["status", "kind", "reason", CountyFilter]
    list_select_related = ["person", "unit"]
    list_per_page = 50
    actions = None
    review_template = "admin/insurance/townshiprequest/review.html"

    @admin.display(description=_("person"))
    def person_name(self, obj: TownshipRequest) -> str:
        return obj.person.masked_name

    @admin.display(description=_("national ID"))
    def person_id_masked(self, obj: TownshipRequest) -> str:
        return obj.person.national_id_masked

    @admin.display(description=_("township office"))
    def office(self, obj: TownshipRequest) -> str:
        return obj.unit.name

    def get_ordering(self, request):
        waiting = Q(status=TownshipRequest.Status.SUBMITTED)
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
                "<uuid:request_id>/document/",
                self.admin_site.admin_view(require_GET(self.document_view)),
                name="{}_{}_document".format(*info),
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The request's page is the review page: shown with view permission, decided with review permission."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        found = self._request(object_id)
        if request.method == "POST":
            return self._decide(request, found)
        return self._review_page(request, found)

    def _request(self, object_id) -> TownshipRequest:
        try:
            pk = uuid.UUID(str(object_id))
        except ValueError:
            raise Http404 from None
        found = (
            TownshipRequest.objects.select_related("person", "requested_by", "unit", "reviewer", "enrolment")
            .filter(pk=pk)
            .first()
        )
        if found is None:
            raise Http404
        return found

    def _decide(self, request, found: TownshipRequest):
        if not request.user.has_perm(REVIEW_PERMISSION):
            raise PermissionDenied
        decision = request.POST.get("decision", "")
        reason = request.POST.get("reason", "")
        try:
            if decision == "approve":
                township.approve_request(request.user, found)
                done = gettext(
                    "The request of %(name)s is approved; the enrolment records are changed and the person is told "
                    "by e-mail."
                )
            elif decision == "reject":
                township.reject_request(request.user, found, reason)
                done = gettext("The request of %(name)s is rejected; the person is told the reason by e-mail.")
            else:
                messages.error(request, gettext("Decision: choose approve or reject."))
                return self._review_page(request, found, reason=reason, status=400)
        except township.TownshipRefused as exc:
            messages.error(request, exc.message)
            found = self._request(found.pk)
            reason_error = exc.message if exc.field == "rejection_reason" else ""
            return self._review_page(request, found, reason=reason, reason_error=reason_error, status=exc.status)
        messages.success(request, done % {"name": found.person.masked_name})
        return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))

    def _review_page(
        self, request, found: TownshipRequest, *, reason: str = "", reason_error: str = "", status: int = 200
    ):
        person = found.person
        can_review = request.user.has_perm(REVIEW_PERMISSION)
        waiting = found.status == TownshipRequest.Status.SUBMITTED
        document_kept = found.status != TownshipRequest.Status.REJECTED
        document_url = ""
        if can_review and document_kept:
            document_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_document", args=[found.pk])
        today = timezone.localdate()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Review the request of %(person)s") % {"person": person},
            "item": found,
            "person": person,
            "on_behalf": found.requested_by_id != found.person_id,
            "email": mask_email(found.email),
            "current": township.current_enrolment(person, today),
            "document_needed": township.document_needed(found.kind, found.reason),
            "document_url": document_url,
            "document_is_pdf": found.document_type == documents.PDF,
            "can_review": can_review,
            "waiting": waiting,
            "reason": reason,
            "reason_error": reason_error,
            "reason_max": policy.TOWNSHIP_REJECTION_REASON_MAX,
        }
        record_access(person.pk, what=AccessLog.What.NHI_SERVICES, operator=request.user, detail=SHOWN_REQUEST)
        return TemplateResponse(request, self.review_template, context, status=status)

    @operator_view(REVIEW_PERMISSION)
    def document_view(self, request, request_id):
        """The request's document, for the review page only: never cached, every showing logged."""
        found = TownshipRequest.objects.filter(pk=request_id).only("person_id", "document", "document_type").first()
        if found is None or not found.document:
            raise Http404
        try:
            data = documents.read_document(found.document, found.document_type)
        except (ValueError, FileNotFoundError):
            raise Http404 from None
        record_access(found.person_id, what=AccessLog.What.NHI_SERVICES, operator=request.user, detail=SHOWN_DOCUMENT)
        is_pdf = found.document_type == documents.PDF
        response = HttpResponse(data, content_type="application/pdf" if is_pdf else "image/jpeg")
        response["Cache-Control"] = "no-store, private"
        response["Content-Disposition"] = "inline"
        response["X-Content-Type-Options"] = "nosniff"
        if not is_pdf:
            response["Content-Security-Policy"] = "sandbox"  # (a sandboxed PDF would not open in the browser's viewer)
        return response
