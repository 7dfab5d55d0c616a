"""Template context every page gets from the citizen session."""

from __future__ import annotations

from django.conf import settings

from healthbank import policy


def kiosk(request) -> dict:
    """At a kiosk every page carries the auto sign-out bar (base.html), so no page can be left open."""
    citizen = getattr(request, "citizen", None)
    if citizen is None or not citizen.at_kiosk:
        return {}
    return {
        "kiosk": {"idle_seconds": int(policy.KIOSK_IDLE_TIMEOUT.total_seconds()), "agent_url": settings.CARD_AGENT_URL}
    }
