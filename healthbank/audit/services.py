"""Recording who read whose data (SPEC §11). Never store a full ID, free text or health data here."""

from __future__ import annotations

from django.utils import timezone

from healthbank.core.categories import DataCategory

from .models import AccessLog, IdDocument


def record_access(
    person_id,
    *,
    what: str,
    detail: str = "",
    operator=None,
    actor_kind: str = "",
    actor_label: str = "",
    category: str = "",
    address: str = "",
) -> AccessLog:
    """Write one access-log entry: whose data (``person_id``), what (an ``AccessLog.What`` code) and by whom.

    ``detail`` is a code too: the record type (``records.visit``) for record reads,
    the ID document type (``IdDocument``) for counter work. An ``operator`` (a
    staff user) makes the reader "NHI staff" and keeps their user name in the
    NHI's columns; the person's own page shows only the kind of reader.
    """
    if what not in AccessLog.What.values:
        raise ValueError(f"unknown access-log code {what!r}")
    if what in (AccessLog.What.COUNTER_VIEW, AccessLog.What.COUNTER_REGISTRATION) and detail not in IdDocument.values:
        raise ValueError(f"unknown ID document code {detail!r}")
    if category and category not in DataCategory.values:
        raise ValueError(f"unknown data category {category!r}")
    if operator is not None:
        actor_kind = AccessLog.ActorKind.OPERATOR
        actor_label = actor_label or f"operator {operator.get_username()}"
    if actor_kind not in AccessLog.ActorKind.values:
        raise ValueError(f"unknown reader kind {actor_kind!r}")
    return AccessLog.objects.create(
        person_id=person_id,
        actor_kind=actor_kind,
        actor_label=actor_label[:100],
        operator=operator,
        what=what,
        detail=detail[:40],
        category=category,
        address=address[:45],
        at=timezone.now(),
    )
