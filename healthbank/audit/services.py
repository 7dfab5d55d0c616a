"""Recording who read whose data (SPEC §11). Never store a full ID or health data here."""

from __future__ import annotations

from django.utils import timezone

from .models import AccessLog


def record_access(*, person_id, actor_kind: str, actor_label: str, what: str, operator=None) -> AccessLog:
    return AccessLog.objects.create(
        person_id=person_id,
        actor_kind=actor_kind,
        actor_label=actor_label[:100],
        operator=operator,
        what=what[:100],
        at=timezone.now(),
    )


def record_operator_read(request, person_id, what: str) -> AccessLog:
    user = request.user
    return record_access(
        person_id=person_id,
        actor_kind=AccessLog.ActorKind.OPERATOR,
        actor_label=f"operator {user.get_username()}",
        what=what,
        operator=user,
    )
