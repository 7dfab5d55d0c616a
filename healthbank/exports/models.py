"""Download packages (SPEC §8) and imports of My Health Bank downloads.

A package is produced by a Celery task into ``MEDIA_ROOT/exports/`` and can be downloaded for
``policy.DOWNLOAD_KEPT_FOR``; the sweep then deletes the file and the row. While a package is in
production it holds one of the person's ``policy.DOWNLOAD_RUNNING_MAX`` slots: a unique
``(person, running_slot)`` makes taking a slot one atomic step on every database.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from healthbank.core.ids import new_public_id
from healthbank.identity.models import Person

from .choices import Cut


class ExportJob(models.Model):
    """One download package: what was asked, by whom, its production and its file."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("In production")
        READY = "ready", _("Ready to download")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    requested_by = models.ForeignKey(
        Person,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("the person or the parent who asked; empty for an operator at the counter"),
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    address = models.CharField(_("address"), max_length=45, blank=True)
    categories = models.JSONField(_("categories"))
    formats = models.JSONField(_("formats"))
    cut = models.CharField(_("outpatient and dental"), max_length=6, choices=Cut.choices, default=Cut.MERGED)
    months = models.JSONField(
        _("months"), default=list, blank=True, help_text=_("YYYY-MM of outpatient and dental cut by months; empty: all")
    )
    language = models.CharField(_("language"), max_length=8, default="zh-hant")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    failure = models.CharField(_("why it failed"), max_length=200, blank=True)
    running_slot = models.PositiveSmallIntegerField(_("production slot"), null=True, blank=True)
    requested_on = models.DateField(_("requested on"), help_text=_("Taiwan date; names the file"))
    sequence = models.PositiveSmallIntegerField(_("sequence"), help_text=_("the person's n-th package that day"))
    file_name = models.CharField(_("file name"), max_length=40)
    stored_as = models.CharField(_("stored as"), max_length=80, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), null=True, blank=True)
    record_count = models.PositiveIntegerField(_("records"), null=True, blank=True)
    own_password = models.BooleanField(_("own password"), default=False, help_text=_("not the national ID"))
    sealed_password = models.TextField(
        _("chosen password (encrypted)"), blank=True, editable=False, help_text=_("erased once produced")
    )
    requested_at = models.DateTimeField(_("requested at"))
    produced_at = models.DateTimeField(_("produced at"), null=True, blank=True)
    available_until = models.DateTimeField(_("downloadable until"), null=True, blank=True)
    downloads = models.PositiveIntegerField(_("downloads"), default=0)

    class Meta:
        verbose_name = _("download package")
        verbose_name_plural = _("download packages")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["person", "requested_on", "sequence"], name="export_person_day_sequence"),
            models.UniqueConstraint(
                fields=["person", "running_slot"],
                condition=Q(running_slot__isnull=False),
                name="export_person_running_slot",
            ),
        ]
        indexes = [models.Index(fields=["person", "-requested_at"], name="export_person_requested")]

    def __str__(self) -> str:
        return self.file_name


class ImportRun(models.Model):
    """One upload of a My Health Bank download into a person's passbook, and what came of it."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    requested_by = models.ForeignKey(
        Person, verbose_name=_("requested by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    file_name = models.CharField(_("file name"), max_length=200)
    digest = models.CharField(_("digest"), max_length=64, help_text=_("SHA-256 of the uploaded file"))
    imported = models.PositiveIntegerField(_("imported"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    report = models.JSONField(_("report"), help_text=_("per section: imported, skipped and why"))
    imported_at = models.DateTimeField(_("imported at"))

    class Meta:
        verbose_name = _("My Health Bank import")
        verbose_name_plural = _("My Health Bank imports")
        ordering = ["-imported_at"]
        indexes = [models.Index(fields=["person", "-imported_at"], name="import_person_imported")]

    def __str__(self) -> str:
        return self.file_name
