"""Lending the card (SPEC §9): to a named person by a code, to a household member who agrees, to a child's parent.

Written as the holder, the delegate, a stranger holding the code, and someone guessing codes would try it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from healthbank import policy
from healthbank.access import rules
from healthbank.access.models import Grant
from healthbank.access.rules import Reader
from healthbank.access.services import start_of_day
from healthbank.accounts.models import OutboxEmail
from healthbank.assessments.dates import birthday
from healthbank.core.national_id import with_check_digit
from healthbank.identity.services import create_person
from healthbank.vcard import services
from healthbank.vcard.models import CardApplication, CardScan, Delegation
from tests.conftest import OTHER_ID
from tests.passbook.conftest import web_as
from tests.vcard.conftest import APP, app_client_for, approved_card, jpeg, new_qr, post_json, scan
from tests.vcard.test_scan import run_at_once

DELEGATIONS = f"{APP}/delegations"


def day(offset: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


@pytest.fixture
def now(time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    return start


@pytest.fixture
def app(holder):
    return app_client_for(holder)


@pytest.fixture
def delegate_app(other_person):
    return app_client_for(other_person)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """E-mails leave after the commit; run those callbacks as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def stranger(first9: str = "E10000006"):
    from healthbank.identity.services import issue_card

    somebody = create_person(national_id=with_check_digit(first9), name="張三", sex="M", birth_date=dt.date(1990, 1, 1))
    issue_card(somebody, card_number="000099990000", issued_on=dt.date(2015, 1, 1))
    return somebody


def lend(app, national_id: str = OTHER_ID, ends_on: str | None = None, **more):
    body = {
        "kind": "named",
        "delegate_national_id": national_id,
        "label": "朋友",
        "ends_on": day(7) if ends_on is None else ends_on,
    }
    return post_json(app, DELEGATIONS, body | more)


def code_for(app, national_id: str = OTHER_ID, ends_on: str | None = None) -> tuple[str, str]:
    response = lend(app, national_id, ends_on)
    assert response.status_code == 201, response.content
    return response.json()["id"], response.json()["code"]


def obtain(app, code: str):
    return post_json(app, f"{DELEGATIONS}/obtain", {"code": code})


def qr_for(app, holder):
    return post_json(app, f"{APP}/qr", {"person_id": str(holder.pk)})


def usable(app) -> list[str]:
    return [u["person_id"] for u in app.get(APP).json()["usable"]]


def state(app, delegation_id: str) -> str:
    return next(d["state"] for d in app.get(DELEGATIONS).json()["delegations"] if d["id"] == delegation_id)


def reason_of(response, status: int) -> str:
    assert response.status_code == status, response.content
    return response.json()["reason"]


# ---------------------------------------------------------------- a named person


def test_a_named_delegate_obtains_the_card_and_shows_it_at_a_clinic(
    holder, other_person, app, delegate_app, institution, institution_api, committed
):
    response = lend(app)
    assert response.status_code == 201, response.content
    made = response.json()
    code = made["code"]
    assert len(code) == policy.VCARD_DELEGATION_CODE_LENGTH
    assert set(code) <= set(policy.VCARD_DELEGATION_CODE_ALPHABET)
    assert made["state"] == "waiting" and made["qr"].endswith(f"?code={code}")
    assert code not in str(Delegation.objects.values_list("code_hash", flat=True)[0])  # only its hash is kept

    obtained = obtain(delegate_app, code.lower()[:5] + "-" + code.lower()[5:])  # as typed from another phone
    assert obtained.status_code == 200, obtained.content
    assert obtained.json()["state"] == "active"
    assert state(app, made["id"]) == "active"
    assert usable(delegate_app) == [str(holder.pk)]

    text = new_qr(delegate_app, holder)
    with committed():
        scanned = scan(institution_api, text)
    assert scanned.status_code == 200, scanned.content
    assert scanned.json()["shown_by"] == "delegate" and scanned.json()["person"]["name"] == holder.name

    [email] = [m for m in mail.outbox if "was used" in m.subject]
    assert email.to == ["card@example.tw"]  # the address on the holder's application
    assert institution.name in email.body and other_person.masked_name in email.body
    assert holder.national_id not in email.body and other_person.national_id not in email.body
    assert OutboxEmail.objects.filter(person=holder, kind=OutboxEmail.Kind.VIRTUAL_CARD).count() == 2  # + approval

    [row] = app.get(f"{APP}/history").json()["scans"]
    assert row["shown_by"] == other_person.masked_name and row["institution"] == institution.name
    [shown] = delegate_app.get(f"{APP}/history").json()["shown_by_me"]
    assert shown["holder"] == holder.masked_name


def test_a_code_used_by_someone_else_is_refused_and_still_waits(holder, other_person, app, delegate_app):
    delegation_id, code = code_for(app)
    intruder = app_client_for(stranger())
    response = obtain(intruder, code)
    assert reason_of(response, 403) == "not_for_you"
    assert usable(intruder) == []
    assert state(app, delegation_id) == "waiting"
    assert obtain(delegate_app, code).status_code == 200


def test_a_code_is_used_once(holder, app, delegate_app):
    _id, code = code_for(app)
    assert obtain(delegate_app, code).status_code == 200
    assert reason_of(obtain(delegate_app, code), 409) == "used"
    assert Grant.objects.filter(why=Grant.Why.DELEGATE).count() == 1


def test_a_code_not_taken_up_within_a_day_expires(holder, other_person, app, now, time_machine):
    delegation_id, code = code_for(app)
    time_machine.move_to(now + policy.VCARD_DELEGATION_CODE_VALID_FOR, tick=False)
    assert reason_of(obtain(app_client_for(other_person), code), 410) == "expired"
    assert state(app_client_for(holder), delegation_id) == "expired"


def test_after_the_period_the_delegate_cannot_show_the_card(
    holder, other_person, app, delegate_app, institution_api, now, time_machine
):
    _id, code = code_for(app, ends_on=day(1))
    assert obtain(delegate_app, code).status_code == 200
    tomorrow_midnight = start_of_day(timezone.localdate() + dt.timedelta(days=2))
    time_machine.move_to(tomorrow_midnight - dt.timedelta(minutes=2), tick=False)
    delegate_app = app_client_for(other_person)  # the app logs in again (a token lasts 8 hours)
    text = new_qr(delegate_app, holder)  # two minutes before the end: still lent
    time_machine.move_to(tomorrow_midnight + dt.timedelta(seconds=30), tick=False)
    assert qr_for(delegate_app, holder).status_code == 404
    assert usable(delegate_app) == []
    assert reason_of(scan(institution_api, text), 422) == "not_lent"


def test_a_delegation_that_starts_later_lends_nothing_before_its_first_day(
    holder, other_person, app, delegate_app, now, time_machine
):
    response = lend(app, starts_on=day(2), ends_on=day(3))
    assert response.status_code == 201, response.content
    delegation_id, code = response.json()["id"], response.json()["code"]
    assert obtain(delegate_app, code).json()["state"] == "scheduled"
    assert qr_for(delegate_app, holder).status_code == 404
    assert usable(delegate_app) == []
    time_machine.move_to(start_of_day(timezone.localdate() + dt.timedelta(days=2)), tick=False)
    delegate_app = app_client_for(other_person)
    assert qr_for(delegate_app, holder).status_code == 200
    assert state(app_client_for(holder), delegation_id) == "active"


def test_outside_the_household_a_delegation_lasts_one_month_at_most(holder, app):
    response = lend(app, ends_on=day(31))  # 32 days, today included
    assert reason_of(response, 400) == "too_long"
    assert list(response.json()["errors"]) == ["ends_on"]
    assert lend(app, ends_on=day(30)).status_code == 201
    assert lend(app, starts_on=day(1), ends_on=day(31)).status_code == 201  # 31 days from tomorrow
    assert reason_of(lend(app, starts_on=day(1), ends_on=day(32)), 400) == "too_long"


def test_a_household_member_named_by_id_may_be_lent_the_card_longer(household):
    approved_card(household.parent)
    parent_app = app_client_for(household.parent)
    assert lend(parent_app, household.spouse.national_id, ends_on=day(31)).status_code == 201
    assert lend(parent_app, household.spouse.national_id, ends_on=day(200)).status_code == 201
    assert reason_of(lend(parent_app, household.spouse.national_id, ends_on=day(400)), 400) == "too_long"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"delegate_national_id": "A123456788"}, "delegate_national_id"),
        ({"delegate_national_id": ""}, "delegate_national_id"),
        ({"ends_on": "2026-13-01"}, "ends_on"),
        ({"ends_on": ""}, "ends_on"),
        ({"starts_on": "yesterday"}, "starts_on"),
        ({"kind": "anyone"}, "kind"),
    ],
)
def test_a_wrong_field_is_named(holder, app, changes, field):
    response = lend(app, **changes)
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]
    assert not Delegation.objects.exists()


def test_dates_in_the_past_or_backwards_and_oneself_are_refused(holder, app):
    assert list(lend(app, starts_on=day(-1)).json()["errors"]) == ["starts_on"]
    assert list(lend(app, starts_on=day(5), ends_on=day(3)).json()["errors"]) == ["ends_on"]
    assert list(lend(app, holder.national_id).json()["errors"]) == ["delegate_national_id"]
    assert not Delegation.objects.exists()


def test_without_an_approved_card_there_is_nothing_to_lend(other_person, person):
    response = lend(app_client_for(other_person), person.national_id)
    assert response.status_code == 409


# ---------------------------------------------------------------- ending early, giving back


def test_the_holder_ends_it_early_and_the_delegate_loses_it_at_once(holder, app, delegate_app, institution_api):
    delegation_id, code = code_for(app)
    assert obtain(delegate_app, code).status_code == 200
    text = new_qr(delegate_app, holder)
    ended = post_json(app, f"{DELEGATIONS}/{delegation_id}/end")
    assert ended.status_code == 200 and ended.json()["state"] == "ended"
    assert qr_for(delegate_app, holder).status_code == 404
    assert usable(delegate_app) == []
    assert reason_of(scan(institution_api, text), 422) == "not_lent"


def test_the_delegate_gives_it_back(holder, app, delegate_app):
    delegation_id, code = code_for(app)
    assert obtain(delegate_app, code).status_code == 200
    assert post_json(delegate_app, f"{DELEGATIONS}/{delegation_id}/end").status_code == 200
    assert qr_for(delegate_app, holder).status_code == 404
    assert state(app, delegation_id) == "ended"


def test_a_waiting_code_ended_by_the_holder_is_cancelled(holder, app, delegate_app):
    delegation_id, code = code_for(app)
    assert post_json(app, f"{DELEGATIONS}/{delegation_id}/end").json()["state"] == "cancelled"
    assert reason_of(obtain(delegate_app, code), 410) == "cancelled"
    assert usable(delegate_app) == []


def test_nobody_else_ends_a_delegation(holder, app, delegate_app):
    delegation_id, code = code_for(app)
    assert obtain(delegate_app, code).status_code == 200
    intruder = app_client_for(stranger())
    assert post_json(intruder, f"{DELEGATIONS}/{delegation_id}/end").status_code == 404
    assert usable(delegate_app) == [str(holder.pk)]


# ---------------------------------------------------------------- guessing codes


def test_ten_wrong_codes_and_even_the_right_one_is_throttled(holder, app, delegate_app):
    _id, code = code_for(app)
    for n in range(policy.VCARD_OBTAIN_ATTEMPTS[0]):
        assert reason_of(obtain(delegate_app, f"WRONG{n:05d}"), 400) == "wrong_code"
    assert reason_of(obtain(delegate_app, code), 429) == "throttled"
    assert usable(delegate_app) == []


def test_a_strangers_guessing_never_blocks_the_real_delegate(holder, app, delegate_app):
    _id, code = code_for(app)
    guesser = app_client_for(stranger())
    for n in range(policy.VCARD_OBTAIN_ATTEMPTS[0] + 5):
        guesser.post(f"{DELEGATIONS}/obtain", {"code": f"GUESS{n:05d}"}, format="json")
    assert reason_of(obtain(guesser, code), 429) == "throttled"
    assert obtain(delegate_app, code).status_code == 200  # another account, another address


def test_a_right_code_gives_its_slot_back(holder, app, delegate_app, household):
    """Obtaining several delegations in a row is no guessing: only wrong codes count."""
    approved_card(household.parent)
    parent_app = app_client_for(household.parent)
    codes = [code_for(app)[1] for _ in range(6)] + [code_for(parent_app)[1] for _ in range(6)]
    for code in codes:
        assert obtain(delegate_app, code).status_code in (200, 409)


@pytest.mark.django_db(transaction=True)
def test_the_same_code_obtained_at_once_from_several_requests_makes_one_grant(holder, other_person):
    delegation, code = services.delegate_to_named_person(
        holder,
        delegate_national_id=OTHER_ID,
        label="",
        starts_on=None,
        ends_on=timezone.localdate() + dt.timedelta(days=3),
    )
    delegate_app = app_client_for(other_person)
    token = delegate_app._credentials["HTTP_AUTHORIZATION"]

    def obtain_once(_n):
        client = APIClient(REMOTE_ADDR=delegate_app.defaults["REMOTE_ADDR"])
        client.credentials(HTTP_AUTHORIZATION=token)
        response = obtain(client, code)
        return response.status_code, response.json().get("reason", "")

    results = Counter(run_at_once(10, obtain_once, workers=10))
    assert results == {(200, ""): 1, (409, "used"): 9}
    assert Grant.objects.filter(why=Grant.Why.DELEGATE, person=holder).count() == 1
    delegation.refresh_from_db()
    assert delegation.status == Delegation.Status.ACCEPTED and delegation.delegate_id == other_person.pk


# ---------------------------------------------------------------- a household member


@pytest.fixture
def family(household):
    approved_card(household.parent)
    return household, app_client_for(household.parent), app_client_for(household.spouse)


def ask_member(parent_app, member, ends_on: str | None = None):
    return post_json(
        parent_app, DELEGATIONS, {"kind": "household", "member_id": str(member.pk), "ends_on": ends_on or day(30)}
    )


def test_a_household_member_who_agrees_in_time_can_use_the_card(family, now, time_machine):
    household, parent_app, spouse_app = family
    asked = ask_member(parent_app, household.spouse)
    assert asked.status_code == 201, asked.content
    delegation_id = asked.json()["id"]
    assert asked.json()["state"] == "waiting"
    [waiting] = spouse_app.get(APP).json()["household_asks"]
    assert waiting["id"] == delegation_id
    [notice] = OutboxEmail.objects.filter(person=household.spouse, subject__contains="lends you")
    assert household.parent.masked_name in notice.body
    assert usable(spouse_app) == []
    time_machine.move_to(now + policy.VCARD_HOUSEHOLD_ACCEPT_WITHIN - dt.timedelta(seconds=1), tick=False)
    agreed = post_json(spouse_app, f"{DELEGATIONS}/{delegation_id}/agree")
    assert agreed.status_code == 200 and agreed.json()["state"] == "active"
    assert usable(spouse_app) == [str(household.parent.pk)]
    assert qr_for(spouse_app, household.parent).status_code == 200


def test_agreeing_after_ten_minutes_is_too_late(family, now, time_machine):
    household, parent_app, spouse_app = family
    delegation_id = ask_member(parent_app, household.spouse).json()["id"]
    time_machine.move_to(now + policy.VCARD_HOUSEHOLD_ACCEPT_WITHIN, tick=False)
    assert reason_of(post_json(spouse_app, f"{DELEGATIONS}/{delegation_id}/agree"), 410) == "expired"
    assert usable(spouse_app) == [] and spouse_app.get(APP).json()["household_asks"] == []


def test_a_member_who_declines_cannot_use_it(family):
    household, parent_app, spouse_app = family
    delegation_id = ask_member(parent_app, household.spouse).json()["id"]
    declined = post_json(spouse_app, f"{DELEGATIONS}/{delegation_id}/decline")
    assert declined.status_code == 200 and declined.json()["state"] == "declined"
    assert usable(spouse_app) == []
    assert qr_for(spouse_app, household.parent).status_code == 404
    assert reason_of(post_json(spouse_app, f"{DELEGATIONS}/{delegation_id}/agree"), 409) == "answered"


def test_only_the_member_asked_may_agree(family, holder):
    household, parent_app, _spouse_app = family
    delegation_id = ask_member(parent_app, household.spouse).json()["id"]
    for other in (app_client_for(household.teen), app_client_for(holder), parent_app):
        assert post_json(other, f"{DELEGATIONS}/{delegation_id}/agree").status_code == 404
    assert not Grant.objects.filter(why=Grant.Why.HOUSEHOLD_DELEGATION, grantee_person=household.teen).exists()


def test_someone_outside_the_household_cannot_be_asked_as_a_member(family, holder):
    _household, parent_app, _spouse_app = family
    response = ask_member(parent_app, holder)
    assert response.status_code == 400 and list(response.json()["errors"]) == ["member"]


def test_the_household_list_names_the_members(family):
    household, parent_app, _spouse_app = family
    members = parent_app.get(f"{APP}/household").json()["members"]
    assert {m["person_id"] for m in members} == {str(p.pk) for p in (household.spouse, household.child, household.teen)}


# ---------------------------------------------------------------- children under 15 and applying on behalf


def apply_for_child(household) -> CardApplication:
    application = services.submit_application(
        household.parent,
        household.child,
        terms_accepted=True,
        document=CardApplication.Document.NHI_CARD,
        document_photo=jpeg(),
        portrait=None,
        phone="0912345678",
        email="parent@example.tw",
    )
    return services.approve_application(None, application)


def test_the_parent_shows_the_childs_card_until_the_15th_birthday(household, institution_api, time_machine):
    parent_app = app_client_for(household.parent)
    response = qr_for(parent_app, household.child)
    assert reason_of(response, 409) == "no_card"  # lent by the household, but no card yet
    apply_for_child(household)
    assert str(household.child.pk) in usable(parent_app)
    scanned = scan(institution_api, new_qr(parent_app, household.child))
    assert scanned.status_code == 200 and scanned.json()["shown_by"] == "parent"
    assert not [m for m in mail.outbox if "was used" in m.subject]  # a parent's use is no delegate's

    birthday = start_of_day(household.child_turns_15_on)
    time_machine.move_to(birthday - dt.timedelta(seconds=1), tick=False)
    parent_app = app_client_for(household.parent)  # a year on: the app logs in again
    assert qr_for(parent_app, household.child).status_code == 200
    time_machine.move_to(birthday, tick=False)
    assert qr_for(parent_app, household.child).status_code == 404  # nobody did anything
    assert str(household.child.pk) not in usable(parent_app)


@pytest.mark.parametrize("applicant", ["parent", "spouse"])
def test_a_card_applied_for_at_14_is_shown_by_the_household_only_until_15(household, time_machine, applicant):
    """Applied for less than a year before the 15th birthday, by the insured parent or by the other parent:
    the on-behalf use must not outlast the birthday, when the child's card becomes the child's alone."""
    member = getattr(household, applicant)
    time_machine.move_to(start_of_day(birthday(household.child.birth_date, 14)) + dt.timedelta(days=2), tick=False)
    approved_card(household.child, applicant=member)  # at 14: the ID card and a portrait
    member_app = app_client_for(member)
    assert qr_for(member_app, household.child).status_code == 200
    time_machine.move_to(start_of_day(household.child_turns_15_on) - dt.timedelta(seconds=1), tick=False)
    member_app = app_client_for(member)
    assert qr_for(member_app, household.child).status_code == 200
    time_machine.move_to(start_of_day(household.child_turns_15_on), tick=False)
    assert qr_for(member_app, household.child).status_code == 404
    assert str(household.child.pk) not in usable(member_app)


def test_the_teen_can_be_applied_for_and_nobody_outside_the_household(household, holder):
    with pytest.raises(services.CardRefused) as refused:
        services.submit_application(
            holder,
            household.teen,
            terms_accepted=True,
            document=CardApplication.Document.NATIONAL_ID_CARD,
            document_photo=jpeg(),
            portrait=jpeg(),
            phone="0912345678",
            email="x@example.tw",
        )
    assert refused.value.field == "person"
    assert not CardApplication.objects.filter(person=household.teen).exists()
    from tests.vcard.conftest import jpeg_upload

    response = app_client_for(holder).post(
        f"{APP}/applications",
        {
            "person_id": str(household.teen.pk),
            "terms_accepted": "true",
            "document": "national_id_card",
            "document_photo": jpeg_upload(),
            "portrait": jpeg_upload(),
            "phone": "0912345678",
            "email": "x@example.tw",
        },
        format="multipart",
    )
    assert response.status_code == 400 and list(response.json()["errors"]) == ["person_id"]
    assert not CardApplication.objects.filter(person=household.teen).exists()
    approved_card(household.teen, applicant=household.parent)  # the parent may: same household
    assert str(household.teen.pk) in usable(app_client_for(household.parent))


# ---------------------------------------------------------------- a card is not a passbook


def test_a_delegation_lends_the_card_and_not_the_passbook(holder, other_person, app, delegate_app, client):
    _id, code = code_for(app)
    assert obtain(delegate_app, code).status_code == 200
    reader = Reader.person(other_person)
    assert rules.may_use_card(reader, holder) is not None
    assert holder.pk not in {g.person_id for g in rules.people_readable_by(reader)}
    assert rules.may_read(reader, holder, "insurance") is None
    assert delegate_app.get(f"/api/app/v1/passbook/{holder.pk}/outpatient").status_code == 404
    assert str(holder.pk) not in delegate_app.get("/api/app/v1/passbook").content.decode()
    web = web_as(other_person, client)
    assert web.get(f"/en/passbook/{holder.pk}/").status_code == 404
    assert not CardScan.objects.exists()
