"""The operators' queue of NHI card requests (健保卡補發申請審核, SPEC §10, §11).

The queue needs ``insurance.view_cardreplacementrequest``; approving, rejecting and seeing the photo need
``insurance.decide_cardreplacementrequest`` (the card replacement reviewers group has both, and nothing else).
The list shows masked names and IDs; opening a request (its address) and every photo shown are written to the
person's access log. Decisions go through ``card_replacement.approve_request`` / ``reject_request``.
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
from healthbank.core.masking import mask_card_number
from healthbank.vcard import photos

from . import card_replacement as service
from .models import CardReplacementRequest

DECIDE_PERMISSION = "insurance.decide_cardreplacementrequest"
SHOWN_REQUEST = "card_replacement.request"
SHOWN_PHOTO = "card_replacement.photo"
_QUEUE_LOOKUPS = {"status", "status__exact", "reason", "reason__exact"}


@admin.register(CardReplacementRequest)
class CardReplacementRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """健保卡補發申請 — the queue: waiting requests first, the oldest at the top."""

    list_display = ["submitted_at", "holder_name", "holder_id", "reason", "fee", "applied_on_behalf", "status"]
    list_display_links = ["submitted_at"]
    list_filter = ["status", "reason"]
    list_select_related = ["person"]
    list_per_page = 50
    actions = None
    review_template = "admin/insurance/cardreplacementrequest/review.html"

    @admin.display(description=_("card holder"))
    def holder_name(self, obj: CardReplacementRequest) -> str:
        return obj.person.masked_name

    @admin.display(description=_("national ID"))
    def holder_id(self, obj: CardReplacementRequest) -> str:
        return obj.person.national_id_masked

    @admin.display(description=_("on behalf"))
    def applied_on_behalf(self, obj: CardReplacementRequest) -> str:
        return gettext("yes") if obj.on_behalf else gettext("no")

    def get_ordering(self, request):
        waiting = Q(status=CardReplacementRequest.Status.SUBMITTED)
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
                "<uuid:request_id>/photo/",
                self.admin_site.admin_view(require_GET(self.photo_view)),
                name="{}_{}_photo".format(*info),
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The request's page is the review page: shown with view permission, decided with decide permission."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        row = self._request(object_id)
        if request.method == "POST":
            return self._decide(request, row)
        return self._review_page(request, row)

    def _request(self, object_id) -> CardReplacementRequest:
        try:
            pk = uuid.UUID(str(object_id))
        except ValueError:
            raise Http404 from None
        row = (
            CardReplacementRequest.objects.select_related("person", "applicant", "decided_by", "old_card", "new_card")
            .filter(pk=pk)
            .first()
        )
        if row is None:
            raise Http404
        return row

    def _decide(self, request, row: CardReplacementRequest):
        if not request.user.has_perm(DECIDE_PERMISSION):
            raise PermissionDenied
        decision = request.POST.get("decision", "")
        reason = request.POST.get("reason", "")
        try:
            if decision == "approve":
                approval = service.approve_request(request.user, row)
                done = gettext(
                    "The request of %(name)s is approved: new card …%(last4)s; the person is told by e-mail."
                )
                last4 = approval.card.card_number[-4:]
            elif decision == "reject":
                service.reject_request(request.user, row, reason)
                done = gettext("The request of %(name)s is rejected; the person is told the reason by e-mail.")
                last4 = ""
            else:
                messages.error(request, gettext("Decision: choose approve or reject."))
                return self._review_page(request, row, reason=reason, status=400)
        except service.CardRequestRefused as exc:
            messages.error(request, exc.message)
            row = self._request(row.pk)  # someone else may have decided it meanwhile
            reason_error = exc.message if exc.field == "rejection_reason" else ""
            return self._review_page(request, row, reason=reason, reason_error=reason_error, status=exc.status)
        messages.success(request, done % {"name": row.person.masked_name, "last4": last4})
        return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))

    def _review_page(
        self, request, row: CardReplacementRequest, *, reason: str = "", reason_error: str = "", status: int = 200
    ):
        person = row.person
        can_decide = request.user.has_perm(DECIDE_PERMISSION)
        photo_url = ""
        if can_decide and row.photo:
            photo_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_photo", args=[row.pk])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Decide the card request of %(person)s") % {"person": person},
            "row": row,
            "person": person,
            "age": person.age_on(timezone.localdate()),
            "old_card": mask_card_number(row.old_card.card_number) if row.old_card else "",
            "new_card": mask_card_number(row.new_card.card_number) if row.new_card else "",
            "can_decide": can_decide,
            "waiting": row.status == CardReplacementRequest.Status.SUBMITTED,
            "photo_url": photo_url,
            "reason": reason,
            "reason_error": reason_error,
            "reason_max": policy.NHI_CARD_REJECTION_REASON_MAX,
        }
        record_access(person.pk, what=AccessLog.What.NHI_SERVICES, operator=request.user, detail=SHOWN_REQUEST)
        return TemplateResponse(request, self.review_template, context, status=status)

    @operator_view(DECIDE_PERMISSION)
    def photo_view(self, request, request_id):
        """The request's photo, for the decision page only: never cached, every showing logged."""
        row = CardReplacementRequest.objects.filter(pk=request_id).only("person_id", "photo").first()
        if row is None or not row.photo:
            raise Http404
        try:
            jpeg = photos.read_photo(row.photo)
        except (ValueError, FileNotFoundError):
            raise Http404 from None
        record_access(row.person_id, what=AccessLog.What.NHI_SERVICES, operator=request.user, detail=SHOWN_PHOTO)
        response = HttpResponse(jpeg, content_type="image/jpeg")
        response["Cache-Control"] = "no-store, private"
        response["Content-Disposition"] = "inline"
        return response
