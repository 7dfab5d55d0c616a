"""Who may read whose data: grants (DESIGN conventions; SPEC §6.1, §9, §11).

Everything that lends access to a person's data is a ``Grant`` row: whose data,
to whom, which categories, from when, until when, why, and whether it ended
early. Ending a grant keeps the row (history). ``access.rules.may_read`` is the
only place that decides, and it reads grants; the virtual card's delegations,
institutions' requests and scans (``lends_card``) and later third-party apps only create grants.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from healthbank.core.categories import DataCategory
from healthbank.core.ids import new_public_id
from healthbank.identity.models import Person


class Grant(models.Model):
    """授權 — one lending of (some categories of) a person's data to a person, an institution or an app."""

    class Why(models.TextChoices):
        CHILD_UNDER_15 = "child_under_15", _("Child under 15 insured under this parent")
        HOUSEHOLD_DELEGATION = "household_delegation", _("Delegation within the NHI household")
        DELEGATE = "delegate", _("Delegate named by the person")
        INSTITUTION_REQUEST = "institution_request", _("Request of a healthcare institution")
        APP = "app", _("App the person connected")
        COUNTER_CHECK = "counter_check", _("ID document checked at the NHI counter")
        CARD_SCAN = "card_scan", _("Virtual NHI card shown at a visit")

    class GranteeKind(models.TextChoices):
        PERSON = "person", _("Person")
        INSTITUTION = "institution", _("Healthcare institution")
        APP = "app", _("App")
        OPERATOR = "operator", _("NHI staff at the counter")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("whose data"), on_delete=models.PROTECT, related_name="grants_given", db_index=False
    )
    grantee_kind = models.CharField(_("who may read"), max_length=12, choices=GranteeKind.choices)
    grantee_person = models.ForeignKey(
        Person,
        verbose_name=_("reader (person)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grants_received",
        db_index=False,
    )
    grantee_institution = models.ForeignKey(
        "records.Institution",
        verbose_name=_("reader (institution)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    grantee_app = models.UUIDField(_("reader (app)"), null=True, blank=True)
    grantee_operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reader (NHI staff)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    categories = models.JSONField(_("categories"), help_text=_("data category codes the reader may see"))
    lends_card = models.BooleanField(
        _("may use the virtual card"),
        default=False,
        help_text=_("a delegate shows the person's card QR; an institution reads status and uploads the visit"),
    )
    why = models.CharField(_("why"), max_length=24, choices=Why.choices)
    origin = models.CharField(
        _("origin"), max_length=64, blank=True, help_text=_("what made it, e.g. enrolment:<id>; a code, never text")
    )
    valid_from = models.DateTimeField(_("from"))
    valid_until = models.DateTimeField(_("until"), null=True, blank=True, help_text=_("exclusive; empty: no end"))
    ended_at = models.DateTimeField(_("ended early"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        indexes = [
            models.Index(fields=["person", "grantee_kind"], name="grant_person_kind"),
            models.Index(fields=["grantee_person", "valid_until"], name="grant_grantee_person"),
            models.Index(fields=["grantee_institution", "origin"], name="grant_institution_origin"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(grantee_kind="person", grantee_person__isnull=False)
                    | models.Q(grantee_kind="institution", grantee_institution__isnull=False)
                    | models.Q(grantee_kind="app", grantee_app__isnull=False)
                    | models.Q(grantee_kind="operator", grantee_operator__isnull=False)
                ),
                name="grant_names_its_reader",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True) | models.Q(valid_until__gt=models.F("valid_from")),
                name="grant_ends_after_it_starts",
            ),
            # One grant per origin (e.g. one child grant per enrolment): a re-run or a race stores one row.
            models.UniqueConstraint(
                fields=["person", "grantee_kind", "why", "origin"],
                condition=~models.Q(origin=""),
                name="grant_one_per_origin",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_why_display()}: {self.person}"

    @property
    def last_day(self):
        """The last whole day it is in force (it ends at the midnight after), or ``None`` without an end."""
        import datetime as dt

        from django.utils import timezone

        if self.valid_until is None:
            return None
        return timezone.localtime(self.valid_until - dt.timedelta(microseconds=1)).date()

    def category_names(self) -> list[str]:
        return [str(DataCategory(code).label) for code in self.categories if code in DataCategory.values]
