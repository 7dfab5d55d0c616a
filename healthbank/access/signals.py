"""A child's parent gets their grant when the child is enrolled under them (no domain app calls this)."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from healthbank.identity.models import Enrolment

from .services import grant_child_to_parent


@receiver(post_save, sender=Enrolment, dispatch_uid="access.child_grant")
def enrolment_saved(sender, instance: Enrolment, raw: bool = False, **kwargs) -> None:
    if not raw:
        grant_child_to_parent(instance)
