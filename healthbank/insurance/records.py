"""投退保資料 — a person's enrolment periods, each with why it began and why it ended (SPEC §10).

The enrolment table keeps no reason, so each reason is *derived* from the periods around it (decisions.md,
"Issue 11: records"): only what the periods themselves show is said. A period that starts the day after (or the
day) another ends continues it: a move to another unit (轉入/轉出), a change of role, or a new insured salary
(投保金額調整); one after a gap is a re-enrolment (復保/重新加保); the person's death ends the last one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from healthbank.identity.models import Enrolment, Person

ONE_DAY = dt.timedelta(days=1)


@dataclass
class EnrolmentRecord:
    enrolment: Enrolment
    start_reason: str
    end_reason: str

    def as_dict(self) -> dict:
        e = self.enrolment
        return {
            "id": str(e.pk),
            "unit_code": e.unit.code,
            "unit_name": e.unit.name,
            "category": e.category,
            "category_label": e.get_category_display(),
            "role": e.role,
            "role_label": e.get_role_display(),
            "relationship": e.relationship,
            "relationship_label": e.get_relationship_display(),
            "insured_salary": e.insured_salary,
            "started_on": e.started_on.isoformat(),
            "ended_on": e.ended_on.isoformat() if e.ended_on else None,
            "start_reason": self.start_reason,
            "end_reason": self.end_reason,
        }


def _continues(before: Enrolment, after: Enrolment) -> bool:
    return before.ended_on is not None and before.ended_on <= after.started_on <= before.ended_on + ONE_DAY


def _start_reason(before: Enrolment | None, e: Enrolment, first: bool) -> str:
    if before is not None and _continues(before, e):
        if before.unit_id != e.unit_id:
            return _("Transferred in from %(unit)s") % {"unit": before.unit.name}
        if before.role != e.role:
            return _("Became an insured person") if e.role == Enrolment.Role.INSURED else _("Became a dependent")
        if before.insured_salary != e.insured_salary:
            return _("Insured salary adjusted")
        return _("Enrolment continued")
    if e.role == Enrolment.Role.DEPENDENT:
        return _("Enrolled as a dependent") if first else _("Re-enrolled as a dependent")
    return _("First enrolment") if first else _("Re-enrolled")


def _end_reason(e: Enrolment, after: Enrolment | None, died_on: dt.date | None) -> str:
    if e.ended_on is None:
        return ""
    if died_on is not None and e.ended_on >= died_on:
        return _("Death")
    if after is not None and _continues(e, after):
        if after.unit_id != e.unit_id:
            return _("Transferred out to %(unit)s") % {"unit": after.unit.name}
        if after.role != e.role:
            return _("Role changed")
        if after.insured_salary != e.insured_salary:
            return _("Insured salary adjusted")
        return _("Enrolment continued")
    return _("Withdrawn")


def enrolment_records(person: Person, *, household_of: Person | None = None) -> list[EnrolmentRecord]:
    """The person's periods, newest first, with their reasons. The caller has checked the acting rule.

    ``household_of``: for a dependent shown to the insured person, only the periods in that person's household
    (what the insured person declared); the dependent's periods elsewhere are theirs alone.
    """
    periods = Enrolment.objects.filter(person=person).select_related("unit", "household").order_by("started_on", "pk")
    if household_of is not None and household_of.pk != person.pk:
        # The reasons too are told from these periods only: nothing of the dependent's periods elsewhere shows.
        periods = periods.filter(household__person=household_of)
    periods = list(periods)
    found = []
    for i, e in enumerate(periods):
        before = periods[i - 1] if i else None
        after = periods[i + 1] if i + 1 < len(periods) else None
        found.append(EnrolmentRecord(e, _start_reason(before, e, first=i == 0), _end_reason(e, after, person.died_on)))
    return found[::-1]
