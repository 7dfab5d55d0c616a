"""Who read whose data, and operator actions (SPEC §11)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from healthbank.core.ids import new_public_id


class AccessLog(models.Model):
    """One read of a person's data by someone other than the person, or an operator action."""

    class ActorKind(models.TextChoices):
        PERSON = "person", "本人 The person"
        DELEGATE = "delegate", "被授權人 Delegate"
        PARENT = "parent", "法定代理人 Parent"
        INSTITUTION = "institution", "醫事機構 Institution"
        OPERATOR = "operator", "健保署人員 Operator"

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person_id = models.UUIDField(help_text="whose data")
    actor_kind = models.CharField(max_length=12, choices=ActorKind.choices)
    actor_label = models.CharField(max_length=100, help_text="masked name or code, never a full ID")
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    what = models.CharField(max_length=100)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["person_id", "-at"])]
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label}: {self.what}"
