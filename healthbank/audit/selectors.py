"""What the person may see of the access log (SPEC §11): who looked at their data, what and when."""

from __future__ import annotations

from .models import AccessLog


def access_log_for(person, limit: int = 200):
    """The newest entries about ``person``; the operator's identity stays with the NHI, the kind of reader is shown."""
    return (
        AccessLog.objects.filter(person_id=person.pk).only("actor_kind", "what", "detail", "at").order_by("-at")[:limit]
    )
