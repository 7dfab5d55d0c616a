"""What the operators' review queues share (SPEC §9, §10, §11): the virtual card applications, the NHI card
requests and the township office's requests are one kind of page.

A queue is a read-only admin list of requests (waiting ones first, the oldest at the top; masked names and IDs;
only the queue's own filters) whose change page is the review page:

* the list and the page need the model's ``view`` permission; deciding and every file of the request (photo,
  document) need the queue's own ``decide_permission``, never only "is staff";
* opening a request and every file shown are written to the person's access log (codes only, no ID);
* a decision goes through the queue's service, which keeps the rules: one decision however many operators
  press at once (the service claims the waiting row in its transaction and refuses the others with 409), a
  reason the person reads for a rejection (refused with 400, naming the field), and the e-mail to the person,
  sent in the decision's transaction (the notice);
* the page is ``admin/review_queue.html`` extended by the queue's own template (its facts and files).

A queue says what differs: ``approve`` and ``reject`` (the service calls and the message for the operator),
``review_context`` (what its template shows), ``read_file`` (its photo or document) and a few attributes.

Kept in the shared kernel with the other operator-page pieces, so the insurance and vcard apps use one copy.
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
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from .models import AccessLog
from .operator_pages import ReadOnlyMixin
from .services import record_access

PDF = "application/pdf"


class ReviewQueueAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The review queue of one kind of request: list, review page, decision, and the request's file."""

    # What a queue sets.
    decide_permission = ""  # deciding and seeing the files, e.g. "vcard.review_cardapplication"
    review_template = ""  # extends admin/review_queue.html
    review_title = ""  # a translated "… of %(person)s"
    review_select_related: tuple[str, ...] = ("person",)
    queue_lookups: frozenset[str] = frozenset({"status", "status__exact"})  # the only ways to narrow the list
    refusal: type[Exception] = Exception  # the service's refusal: ``field``, ``message``, ``status``
    reason_max = 0  # characters of a rejection's reason
    access_what = AccessLog.What.NHI_SERVICES
    shown_detail = ""  # access-log detail of opening a request
    file_route = ""  # after "<uuid:object_id>/", e.g. "photo/<str:kind>/"
    file_url_name = ""  # the route's name after "<app>_<model>_"

    list_display_links = ["submitted_at"]
    list_select_related = ["person"]
    list_per_page = 50
    actions = None

    # --- what a queue says ----------------------------------------------------------------------------------

    def approve(self, request, item) -> str:  # pragma: no cover - abstract
        """Approve through the service (which refuses with ``refusal``); the message for the operator."""
        raise NotImplementedError

    def reject(self, request, item, reason: str) -> str:  # pragma: no cover - abstract
        """Reject through the service (which checks the reason); the message for the operator."""
        raise NotImplementedError

    def review_context(self, request, item, can_decide: bool) -> dict:
        return {}

    def read_file(self, object_id, **kwargs) -> tuple[object, bytes, str, str]:  # pragma: no cover - abstract
        """The request's file: (whose person id, the bytes, the content type, the access-log detail); else 404."""
        raise NotImplementedError

    # --- the list -------------------------------------------------------------------------------------------

    @admin.display(description=_("card holder"))
    def holder_name(self, obj) -> str:
        return obj.person.masked_name

    @admin.display(description=_("national ID"))
    def holder_id(self, obj) -> str:
        return obj.person.national_id_masked

    @admin.display(description=_("on behalf"))
    def applied_on_behalf(self, obj) -> str:
        return gettext("yes") if obj.on_behalf else gettext("no")

    def get_ordering(self, request):
        # Waiting ones first, oldest first (they have waited longest); the decided ones after, newest first.
        waiting = Q(status=self.model.Status.SUBMITTED)
        return [
            Case(When(waiting, then=Value(0)), default=Value(1), output_field=IntegerField()).asc(),
            Case(When(waiting, then=F("submitted_at"))).asc(),
            "-submitted_at",
        ]

    def lookup_allowed(self, lookup, value, request=None):
        return lookup in self.queue_lookups

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                f"<uuid:object_id>/{self.file_route}",
                self.admin_site.admin_view(require_GET(self.file_view)),
                name="{}_{}_{}".format(*info, self.file_url_name),
            ),
            *super().get_urls(),
        ]

    def file_url(self, item, *args) -> str:
        info = self.opts.app_label, self.opts.model_name, self.file_url_name
        return reverse("admin:{}_{}_{}".format(*info), args=[item.pk, *args])

    # --- the review page ------------------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The request's page is the review page: shown with view permission, decided with decide permission."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        item = self.review_object(object_id)
        if request.method == "POST":
            return self.decide(request, item)
        return self.review_page(request, item)

    def review_object(self, object_id):
        try:
            pk = uuid.UUID(str(object_id))
        except ValueError:
            raise Http404 from None
        item = self.model.objects.select_related(*self.review_select_related).filter(pk=pk).first()
        if item is None:
            raise Http404
        return item

    def decide(self, request, item):
        if not request.user.has_perm(self.decide_permission):
            raise PermissionDenied
        decision = request.POST.get("decision", "")
        reason = request.POST.get("reason", "")
        try:
            if decision == "approve":
                done = self.approve(request, item)
            elif decision == "reject":
                # The service decides what a valid reason is: one rule, one message, wherever it is refused.
                done = self.reject(request, item, reason)
            else:
                messages.error(request, gettext("Decision: choose approve or reject."))
                return self.review_page(request, item, reason=reason, status=400)
        except self.refusal as exc:
            messages.error(request, exc.message)
            item = self.review_object(item.pk)  # someone else may have decided it meanwhile
            reason_error = exc.message if exc.field == "rejection_reason" else ""
            return self.review_page(request, item, reason=reason, reason_error=reason_error, status=exc.status)
        messages.success(request, done)
        return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))

    def review_page(self, request, item, *, reason: str = "", reason_error: str = "", status: int = 200):
        person = item.person
        can_decide = request.user.has_perm(self.decide_permission)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": self.review_title % {"person": person},
            "item": item,
            "person": person,
            "can_decide": can_decide,
            "waiting": item.status == self.model.Status.SUBMITTED,
            "reason": reason,
            "reason_error": reason_error,
            "reason_max": self.reason_max,
            **self.review_context(request, item, can_decide),
        }
        record_access(person.pk, what=self.access_what, operator=request.user, detail=self.shown_detail)
        return TemplateResponse(request, self.review_template, context, status=status)

    # --- the request's file ---------------------------------------------------------------------------------

    def file_view(self, request, object_id, **kwargs):
        """The request's photo or document, for the review page only: never cached, every showing logged."""
        if not request.user.has_perm(self.decide_permission):
            raise PermissionDenied
        person_id, data, content_type, detail = self.read_file(object_id, **kwargs)
        record_access(person_id, what=self.access_what, operator=request.user, detail=detail)
        response = HttpResponse(data, content_type=content_type)
        response["Cache-Control"] = "no-store, private"
        response["Content-Disposition"] = "inline"
        response["X-Content-Type-Options"] = "nosniff"
        if content_type != PDF:
            response["Content-Security-Policy"] = "sandbox"  # (a sandboxed PDF would not open in the browser's viewer)
        return response
