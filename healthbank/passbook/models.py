"""What the passbook keeps itself: the person's own measurements and the NHI's health news (SPEC §6.2).

Measurements are entered by the person (or the parent of a child under 15) on the measurements page or in the
app; health news is written by the NHI's content editors in the operator pages and shown on every home page.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from healthbank.core.ids import new_public_id
from healthbank.identity.models import Person

MEASURED_VALUES = ("height_cm", "weight_kg", "waist_cm", "systolic", "diastolic", "fasting_glucose", "heart_rate")


class Measurement(models.Model):
    """One day's self-measured values; any of them may be missing, but never all."""

    class EnteredBy(models.TextChoices):
        SELF = "self", _("the person")
        PARENT = "parent", _("a parent")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    measured_on = models.DateField(_("measured on"))
    height_cm = models.DecimalField(_("height (cm)"), max_digits=4, decimal_places=1, null=True, blank=True)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=4, decimal_places=1, null=True, blank=True)
    waist_cm = models.DecimalField(_("waist (cm)"), max_digits=4, decimal_places=1, null=True, blank=True)
    systolic = models.PositiveSmallIntegerField(_("systolic pressure (mmHg)"), null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(_("diastolic pressure (mmHg)"), null=True, blank=True)
    fasting_glucose = models.PositiveSmallIntegerField(_("fasting glucose (mg/dL)"), null=True, blank=True)
    heart_rate = models.PositiveSmallIntegerField(_("heart rate (/min)"), null=True, blank=True)
    entered_by = models.CharField(_("entered by"), max_length=6, choices=EnteredBy.choices)
    created_at = models.DateTimeField(_("entered"), auto_now_add=True)

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        indexes = [models.Index(fields=["person", "-measured_on"], name="measurement_person_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(height_cm__isnull=False)
                | Q(weight_kg__isnull=False)
                | Q(waist_cm__isnull=False)
                | Q(systolic__isnull=False)
                | Q(diastolic__isnull=False)
                | Q(fasting_glucose__isnull=False)
                | Q(heart_rate__isnull=False),
                name="measurement_has_a_value",
            )
        ]

    def __str__(self) -> str:
        return f"{self.measured_on.isoformat()} {self.person_id}"


class HealthNews(models.Model):
    """健康新知 — a news item on the home page, in Chinese and English (either may be empty, not both titles)."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body_zh = models.TextField(_("text (Chinese)"), blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    published_on = models.DateField(_("published on"), help_text=_("shown from this day on"))
    is_published = models.BooleanField(_("published"), default=False)

    class Meta:
        verbose_name = _("health news item")
        verbose_name_plural = _("health news")
        indexes = [models.Index(fields=["is_published", "-published_on"], name="healthnews_published")]
        constraints = [
            models.CheckConstraint(condition=~Q(title_zh="") | ~Q(title_en=""), name="healthnews_has_a_title")
        ]

    def __str__(self) -> str:
        return self.title_zh or self.title_en

    def title_in(self, language: str) -> str:
        chinese = language.lower().startswith("zh")
        first, second = (self.title_zh, self.title_en) if chinese else (self.title_en, self.title_zh)
        return first or second

    def body_in(self, language: str) -> str:
        chinese = language.lower().startswith("zh")
        if chinese:
            return self.body_zh if self.title_zh or not self.title_en else self.body_en
        return self.body_en if self.title_en or not self.title_zh else self.body_zh
