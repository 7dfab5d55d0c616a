"""Township-office enrolment (公所加保、轉出、停保、復保; SPEC §10, issue 11 service 4).

People without an employer, union or farmers' association are insured in category 6 at the township office
(鄉鎮市區公所) of their registered household. A request waits in the office's queue; approving it changes the
enrolment rows (``identity.Enrolment``) in the same transaction, from the date the rules give (``effective_on``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from healthbank.core.ids import new_public_id
from healthbank.identity.models import Enrolment, InsuranceUnit, Person


class TownshipRequest(models.Model):
    """公所投保申請 — one request to a township office: enrol, transfer out, suspend or resume."""

    class Kind(models.TextChoices):
        ENROL = "enrol", pgettext_lazy("township request", "Enrol")
        TRANSFER_OUT = "transfer_out", pgettext_lazy("township request", "Transfer out")
        SUSPEND = "suspend", pgettext_lazy("township request", "Suspend")
        RESUME = "resume", pgettext_lazy("township request", "Resume")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class Reason(models.TextChoices):
        """Why a transfer or a suspension: it decides the date asked for and the document the office needs."""

        EMPLOYED = "employed", _("Insured by an employer, union or association from now on")
        MOVED = "moved", _("Household registration moved to another township")
        ABROAD = "abroad", _("Abroad for six months or more")
        MISSING = "missing", _("Missing (reported to the police)")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person,
        verbose_name=_("insured person or dependent"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    requested_by = models.ForeignKey(
        Person,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("the person, or the insured person for a dependent"),
    )
    kind = models.CharField(_("request"), max_length=12, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices, blank=True)
    unit = models.ForeignKey(
        InsuranceUnit,
        verbose_name=_("township office"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("enrol: the office asked; otherwise the office the person is insured at"),
    )
    event_on = models.DateField(
        _("date given"),
        null=True,
        blank=True,
        help_text=_("transfer: the new cover starts; suspend: leaving or missing since; resume: back on"),
    )
    planned_return_on = models.DateField(_("planned return"), null=True, blank=True)
    effective_on = models.DateField(_("effective from"), help_text=_("the day the change takes effect"))
    document = models.CharField(_("document"), max_length=80, help_text=_("stored file name"))
    document_type = models.CharField(_("document type"), max_length=4, help_text=_("pdf or jpeg"))
    enrolment = models.ForeignKey(
        Enrolment,
        verbose_name=_("enrolment changed"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("the enrolment made, ended or continued when approved"),
    )
    email = models.EmailField(_("e-mail"))
    language = models.CharField(_("language"), max_length=8, default=settings.LANGUAGE_CODE)
    submitted_at = models.DateTimeField(_("submitted"))
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True, on_delete=models.PROTECT
    )
    rejection_reason = models.CharField(_("reason for rejection"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("township-office request")
        verbose_name_plural = _("township-office requests")
        permissions = [("review_townshiprequest", "Review township-office enrolment requests")]
        indexes = [
            models.Index(fields=["person", "-submitted_at"], name="township_req_person"),
            models.Index(fields=["status", "submitted_at"], name="township_req_queue"),
        ]
        constraints = [
            # One open request per person and kind: a double submit or a race stores one.
            models.UniqueConstraint(
                fields=["person", "kind"], condition=models.Q(status="submitted"), name="township_one_open_request"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_status_display()} {self.person}"
