"""Writes of the access rule: grants made and ended, and every read checked and logged (SPEC §6.1, §11).

``open_for_reading`` is what every selector of a person's health data calls:
it asks ``rules.may_read``, answers "not found" when the answer is no (exactly
like a missing record, so nobody learns that the person or the record exists),
and writes the access log for every read by someone other than the person.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from healthbank import policy
from healthbank.assessments.dates import birthday
from healthbank.audit.models import AccessLog
from healthbank.audit.services import record_access
from healthbank.core.categories import ALL_CATEGORIES
from healthbank.identity.models import Enrolment

from . import rules
from .models import Grant
from .rules import Access, Reader


class NotReadable(Http404):
    """The reader may not read this (or it does not exist): both answer the same 404."""


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in Taiwan's time: a birthday switches access at its first moment."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


_READER_KIND = {
    Grant.Why.CHILD_UNDER_15: AccessLog.ActorKind.PARENT,
    Grant.Why.HOUSEHOLD_DELEGATION: AccessLog.ActorKind.DELEGATE,
    Grant.Why.DELEGATE: AccessLog.ActorKind.DELEGATE,
    Grant.Why.INSTITUTION_REQUEST: AccessLog.ActorKind.INSTITUTION,
    Grant.Why.APP: AccessLog.ActorKind.APP,
    Grant.Why.COUNTER_CHECK: AccessLog.ActorKind.OPERATOR,
    Grant.Why.CARD_SCAN: AccessLog.ActorKind.INSTITUTION,
}


def open_for_reading(
    reader: Reader, person, category: str, *, detail: str = "", what: str = AccessLog.What.PASSBOOK
) -> Access:
    """Check that ``reader`` may read ``category`` of ``person`` now and log it; raise ``NotReadable`` if not.

    The person's own reads are not logged (they are the person's); every other
    read writes one entry: who (the kind of reader, and the NHI's label), whose,
    which category, when and from which address.
    """
    access = rules.may_read(reader, person, category)
    if access is None:
        note_refused(reader, person.pk, category)
        raise NotReadable
    if not access.is_self:
        record_access(
            person.pk,
            what=what,
            detail=detail,
            category=category,
            actor_kind=_READER_KIND[access.grant.why],
            actor_label=reader.label,
            operator=reader.user if reader.kind == "operator" else None,
            address=reader.address,
        )
    return access


def open_for_service(reader: Reader, person, *, detail: str = "") -> Access:
    """Check that ``reader`` may use the NHI data services for ``person`` (``rules.may_act_for``) and log it.

    ``detail`` names the service (``enrolments``, ``address`` ...). The person's own use is not logged; the
    insured person's use for a dependent is, as the dependent's data is read or changed.
    """
    access = rules.may_act_for(reader, person)
    if access is None:
        note_refused(reader, person.pk, "insurance")
        raise NotReadable
    if not access.is_self:
        record_access(
            person.pk,
            what=AccessLog.What.NHI_SERVICES,
            detail=detail,
            category="insurance",
            actor_kind=AccessLog.ActorKind.INSURED,
            actor_label=reader.label,
            address=reader.address,
        )
    return access


def note_refused(reader: Reader, person_id, category: str) -> None:
    """Log a refused read of an existing person's data (the reader saw a plain 404)."""
    if reader.kind == "person" and reader.person_id == person_id:
        return  # a person asking for their own data with a wrong id: nothing was refused to anyone
    kind = {
        "person": AccessLog.ActorKind.PERSON,
        "operator": AccessLog.ActorKind.OPERATOR,
        "institution": AccessLog.ActorKind.INSTITUTION,
        "app": AccessLog.ActorKind.APP,
    }[reader.kind]
    record_access(
        person_id,
        what=AccessLog.What.REFUSED,
        category=category,
        actor_kind=kind,
        actor_label=reader.label,
        operator=reader.user if reader.kind == "operator" else None,
        address=reader.address,
    )


def child_grant_span(enrolment: Enrolment) -> tuple[dt.datetime, dt.datetime] | None:
    """From the enrolment's start to the 15th birthday (or the enrolment's end, if sooner); None if none."""
    child = enrolment.person
    until_day = birthday(child.birth_date, policy.CHILD_AUTO_VISIBLE_UNTIL_AGE)
    if enrolment.ended_on is not None:
        until_day = min(until_day, enrolment.ended_on + dt.timedelta(days=1))
    from_day = max(enrolment.started_on, child.birth_date)
    if from_day >= until_day:
        return None
    return start_of_day(from_day), start_of_day(until_day)


def is_child_of_insured(enrolment: Enrolment) -> bool:
    return (
        enrolment.role == Enrolment.Role.DEPENDENT
        and enrolment.relationship == Enrolment.Relationship.CHILD
        and enrolment.person_id != enrolment.household.person_id
    )


def grant_child_to_parent(enrolment: Enrolment) -> Grant | None:
    """SPEC §6.1: a child under 15 is visible to the parent they are insured under, until they turn 15.

    Made when the child is enrolled as the insured person's child; nobody needs to
    do anything on the birthday: the grant's end is the first moment of the 15th
    birthday. Made once per enrolment (a re-run finds the row it made).
    """
    if not is_child_of_insured(enrolment):
        return None
    span = child_grant_span(enrolment)
    origin = f"enrolment:{enrolment.pk}"
    existing = Grant.objects.filter(
        person_id=enrolment.person_id,
        grantee_kind=Grant.GranteeKind.PERSON,
        why=Grant.Why.CHILD_UNDER_15,
        origin=origin,
    ).first()
    if existing is not None:  # the enrolment changed (it ended): the grant ends with it, the row stays
        if span is None:
            end_grant(existing)
        elif existing.valid_until != span[1]:
            existing.valid_until = max(span[1], existing.valid_from + dt.timedelta(microseconds=1))
            existing.save(update_fields=["valid_until"])
        return existing
    if span is None:
        return None
    try:
        with transaction.atomic():
            return Grant.objects.create(
                person_id=enrolment.person_id,
                grantee_kind=Grant.GranteeKind.PERSON,
                grantee_person_id=enrolment.household.person_id,
                categories=sorted(ALL_CATEGORIES),
                lends_card=True,  # §9: the parent shows the child's virtual card too
                why=Grant.Why.CHILD_UNDER_15,
                origin=origin,
                valid_from=span[0],
                valid_until=span[1],
            )
    except IntegrityError:  # the same enrolment granted at the same moment elsewhere: one row
        return Grant.objects.get(
            person_id=enrolment.person_id,
            grantee_kind=Grant.GranteeKind.PERSON,
            why=Grant.Why.CHILD_UNDER_15,
            origin=origin,
        )


def grant_children_to_parents(enrolments) -> int:
    """The bulk form of ``grant_child_to_parent`` for a loader that bulk-creates enrolments (no signals)."""
    grants = []
    for enrolment in enrolments:
        if not is_child_of_insured(enrolment):
            continue
        span = child_grant_span(enrolment)
        if span is None:
            continue
        grants.append(
            Grant(
                person_id=enrolment.person_id,
                grantee_kind=Grant.GranteeKind.PERSON,
                grantee_person_id=enrolment.household.person_id,
                categories=sorted(ALL_CATEGORIES),
                lends_card=True,  # §9: the parent shows the child's virtual card too
                why=Grant.Why.CHILD_UNDER_15,
                origin=f"enrolment:{enrolment.pk}",
                valid_from=span[0],
                valid_until=span[1],
            )
        )
    Grant.objects.bulk_create(grants, batch_size=2000, ignore_conflicts=True)
    return len(grants)


def grant_counter_view(operator, person, *, document: str) -> Grant:
    """臨櫃查詢: after checking an ID document an operator may show this person's passbook for a short while."""
    now = timezone.now()
    return Grant.objects.create(
        person=person,
        grantee_kind=Grant.GranteeKind.OPERATOR,
        grantee_operator=operator,
        categories=sorted(ALL_CATEGORIES),
        why=Grant.Why.COUNTER_CHECK,
        valid_from=now,
        valid_until=now + policy.COUNTER_VIEW_VALID_FOR,
    )


def end_grant(grant: Grant, *, at: dt.datetime | None = None) -> Grant:
    """End a grant early; the row stays as history and reads stop at once."""
    at = at or timezone.now()
    updated = Grant.objects.filter(pk=grant.pk, ended_at__isnull=True).update(ended_at=at)
    if updated:
        grant.ended_at = at
    return grant


def grant_to_app(person, app_id, categories: list[str], *, valid_from: dt.datetime, valid_until: dt.datetime) -> Grant:
    """A health app the person connected (issue 14) may read these categories until ``valid_until``."""
    return Grant.objects.create(
        person=person,
        grantee_kind=Grant.GranteeKind.APP,
        grantee_app=app_id,
        categories=sorted(categories),
        why=Grant.Why.APP,
        valid_from=valid_from,
        valid_until=valid_until,
    )
