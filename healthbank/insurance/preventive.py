"""成人預防保健 — the date of the person's last adult preventive check and when the next one is covered.

The next date is the passbook's (``assessments.reminders.next_preventive_check``, the HPA's intervals in
``policy.PREVENTIVE_CARE_*``), from the same records (``records.PreventiveCheck``), so both pages say the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.assessments import reminders
from healthbank.identity.models import Person
from healthbank.records.models import PreventiveCheck


@dataclass(frozen=True)
class PreventiveStatus:
    last_check: dt.date | None
    last_institution: str
    next_due: dt.date
    due_now: bool
    interval_years: int | None  # at today's age; None below the first eligible age
    rule: str

    def as_dict(self) -> dict:
        return {
            "last_check": self.last_check.isoformat() if self.last_check else None,
            "last_institution": self.last_institution,
            "next_due": self.next_due.isoformat(),
            "due_now": self.due_now,
            "interval_years": self.interval_years,
            "rule": self.rule,
        }


def rule_text() -> str:
    (age1, every1), (age2, every2), (age3, _every3) = policy.PREVENTIVE_CARE_INTERVALS
    return _(
        "Adult preventive care is covered from age %(age1)s every %(every1)s years, from %(age2)s every %(every2)s "
        "years and from %(age3)s every year (indigenous people from %(indigenous)s and polio survivors from "
        "%(polio)s every year)."
    ) % {
        "age1": age1,
        "every1": every1,
        "age2": age2,
        "every2": every2,
        "age3": age3,
        "indigenous": policy.PREVENTIVE_CARE_INDIGENOUS_YEARLY_FROM,
        "polio": policy.PREVENTIVE_CARE_POLIO_YEARLY_FROM,
    }


def preventive_status(person: Person, *, today: dt.date | None = None) -> PreventiveStatus:
    """The caller has checked the acting rule (the person only: SPEC §10, the seed's 顯示最近一次成人預防保健)."""
    today = today or timezone.localdate()
    last = (
        PreventiveCheck.objects.filter(person=person, checked_on__lte=today)
        .select_related("institution")
        .order_by("-checked_on")
        .first()
    )
    last_day = last.checked_on if last else None
    due = reminders.next_preventive_check(
        person.birth_date, last_day, today, indigenous=person.is_indigenous, polio_survivor=person.is_polio_survivor
    )
    interval = reminders.preventive_interval(
        person.age_on(today), indigenous=person.is_indigenous, polio_survivor=person.is_polio_survivor
    )
    return PreventiveStatus(last_day, last.institution.name if last else "", due, due <= today, interval, rule_text())
