"""The one rule of who may read whose data (DESIGN conventions; SPEC §6.1, §11).

``may_read`` is the only place that decides. The person always reads their own
data; an NHI operator with the counter permission reads it at the counter;
anyone else only through a live grant naming them and the category. Callers
never decide by themselves: pages and API endpoints go through
``access.services.open_for_reading``, which asks this rule and writes the log.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from healthbank.core.categories import ALL_CATEGORIES
from healthbank.identity.models import Enrolment, Person

from .models import Grant

OPERATOR_READ_PERMISSION = "identity.show_passbook_at_counter"


@dataclass(frozen=True)
class Reader:
    """Who is reading: a person (web, kiosk or app), an NHI operator, an institution or an app.

    ``address`` is where the request came from, for the access log. ``read_only``
    readers (a kiosk, an operator at the counter) may look but never change anything.
    """

    kind: str  # "person", "operator", "institution" or "app"
    person_id: uuid.UUID | None = None
    user: object = field(default=None, compare=False)  # the staff user, for an operator
    institution_id: uuid.UUID | None = None
    app_id: uuid.UUID | None = None
    address: str = ""
    read_only: bool = False

    @classmethod
    def person(cls, person, *, address: str = "", read_only: bool = False) -> Reader:
        return cls("person", person_id=person.pk, address=address, read_only=read_only)

    @classmethod
    def operator(cls, user, *, address: str = "") -> Reader:
        return cls("operator", user=user, address=address, read_only=True)

    @property
    def label(self) -> str:
        """For the NHI's columns of the log: a user name or a code, never an ID number."""
        if self.kind == "operator" and self.user is not None:
            return f"operator {self.user.get_username()}"
        if self.kind == "institution":
            return f"institution {self.institution_id}"
        if self.kind == "app":
            return f"app {self.app_id}"
        return f"person {self.person_id}"


@dataclass(frozen=True)
class Access:
    """Why a read is allowed: ``self``, or a grant (then ``grant`` is set)."""

    how: str
    grant: Grant | None = None

    @property
    def is_self(self) -> bool:
        return self.how == "self"


SELF = Access("self")


def operator_may_use_counter(user) -> bool:
    """An active staff member of the counter group (the permission, never only "is staff")."""
    return bool(user is not None and user.is_active and user.is_staff and user.has_perm(OPERATOR_READ_PERMISSION))


def live_grants(at: dt.datetime):
    """Grants in force at ``at``: started, not yet at their end, not ended early."""
    return Grant.objects.filter(valid_from__lte=at).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=at), Q(ended_at__isnull=True) | Q(ended_at__gt=at)
    )


def _grants_to(reader: Reader, person_id, at: dt.datetime):
    grants = live_grants(at).filter(person_id=person_id)
    if reader.kind == "person" and reader.person_id is not None:
        return grants.filter(grantee_kind=Grant.GranteeKind.PERSON, grantee_person_id=reader.person_id)
    if reader.kind == "institution" and reader.institution_id is not None:
        return grants.filter(grantee_kind=Grant.GranteeKind.INSTITUTION, grantee_institution_id=reader.institution_id)
    if reader.kind == "app" and reader.app_id is not None:
        return grants.filter(grantee_kind=Grant.GranteeKind.APP, grantee_app=reader.app_id)
    if reader.kind == "operator" and reader.user is not None:
        return grants.filter(grantee_kind=Grant.GranteeKind.OPERATOR, grantee_operator_id=reader.user.pk)
    return Grant.objects.none()


def readable_categories(reader: Reader, person, at: dt.datetime | None = None) -> dict[str, Access]:
    """Every category ``reader`` may read of ``person`` at ``at`` (now by default), with why.

    One query at most; a page that shows several categories asks once and keeps the answer.
    """
    at = at or timezone.now()
    if reader.kind == "person" and reader.person_id == person.pk:
        return dict.fromkeys(sorted(ALL_CATEGORIES), SELF)
    if reader.kind == "operator" and not operator_may_use_counter(reader.user):
        return {}  # the counter grant of a colleague who lost the permission lends nothing
    allowed: dict[str, Access] = {}
    for grant in _grants_to(reader, person.pk, at).order_by("valid_from"):
        for code in grant.categories:
            if code in ALL_CATEGORIES:
                allowed.setdefault(code, Access("grant", grant))
    return allowed


def may_read(reader: Reader, person, category: str, at: dt.datetime | None = None) -> Access | None:
    """Whether ``reader`` may read ``category`` of ``person``'s data at ``at``; ``None`` means no."""
    if category not in ALL_CATEGORIES:
        raise ValueError(f"unknown data category {category!r}")
    return readable_categories(reader, person, at).get(category)


def _grants_received(reader: Reader, at: dt.datetime):
    return (
        live_grants(at)
        .filter(grantee_kind=Grant.GranteeKind.PERSON, grantee_person_id=reader.person_id)
        .select_related("person")
        .order_by("person__birth_date", "person_id", "valid_from")
    )


def people_readable_by(reader: Reader, at: dt.datetime | None = None) -> list[Grant]:
    """The other people whose passbook a person may open now (the header's switcher), with the grant.

    Only grants that lend data: a delegation of the virtual card alone opens no passbook.
    """
    if reader.kind != "person" or reader.person_id is None:
        return []
    grants, seen = [], set()
    for grant in _grants_received(reader, at or timezone.now()):
        if grant.categories and grant.person_id not in seen:
            seen.add(grant.person_id)
            grants.append(grant)
    return grants


def may_use_card(reader: Reader, person, at: dt.datetime | None = None) -> Access | None:
    """Whether ``reader`` may use ``person``'s virtual NHI card at ``at`` (SPEC §9); ``None`` means no.

    The person always; anyone else through a live grant that lends the card: the parent of a child under 15,
    a household or named delegate, an institution after a scan or an accepted request. One query.
    """
    at = at or timezone.now()
    if reader.kind == "person" and reader.person_id == person.pk:
        return SELF
    if reader.kind not in ("person", "institution"):
        return None
    grant = _grants_to(reader, person.pk, at).filter(lends_card=True).order_by("valid_from").first()
    return Access("grant", grant) if grant is not None else None


def cards_usable_by(reader: Reader, at: dt.datetime | None = None) -> list[Grant]:
    """我可使用 — the other people whose virtual card a person may show now, one grant each (the longest)."""
    if reader.kind != "person" or reader.person_id is None:
        return []
    best: dict = {}
    for grant in _grants_received(reader, at or timezone.now()).filter(lends_card=True):
        held = best.get(grant.person_id)
        if held is None or _later(grant, held):
            best[grant.person_id] = grant
    return list(best.values())


def _later(grant: Grant, held: Grant) -> bool:
    """``grant`` lasts longer than ``held`` (no end lasts longest)."""
    if grant.valid_until is None:
        return True
    return held.valid_until is not None and grant.valid_until > held.valid_until


# ---------------------------------------------------------------- personal NHI data services (SPEC §10)

INSURED_FOR_DEPENDENT = Access("insured")


def may_act_for(reader: Reader, person, at: dt.datetime | None = None) -> Access | None:
    """Whether ``reader`` may use the personal NHI data services (SPEC §10) for ``person``; ``None`` means no.

    The person always; the insured person (被保險人) for a dependent (依附眷屬) enrolled under them on that day
    (the seed: "個人及依附眷屬投退保資料", "本人或依附眷屬之健保卡補發"). It follows the enrolment, which the
    insurance unit files, so it needs no consent and ends with the enrolment: no grant row (docs/decisions.md).
    """
    if reader.kind != "person" or reader.person_id is None:
        return None
    if reader.person_id == person.pk:
        return SELF
    day = timezone.localdate(at or timezone.now())
    current = Q(started_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gte=day))
    dependent = Enrolment.objects.filter(
        current, person=person, role=Enrolment.Role.DEPENDENT, household__person_id=reader.person_id
    )
    return INSURED_FOR_DEPENDENT if dependent.exists() else None


def dependents_of(reader: Reader, at: dt.datetime | None = None) -> list:
    """The people ``reader`` acts for besides themselves in the NHI data services: their dependents now."""
    if reader.kind != "person" or reader.person_id is None:
        return []
    day = timezone.localdate(at or timezone.now())
    current = Q(started_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gte=day))
    enrolled = Enrolment.objects.filter(
        current, role=Enrolment.Role.DEPENDENT, household__person_id=reader.person_id
    ).exclude(person_id=reader.person_id)
    return list(Person.objects.filter(pk__in=enrolled.values("person_id")).order_by("birth_date", "pk"))
