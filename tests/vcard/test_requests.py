"""An institution asks to use a person's card (telemedicine, home care): 10 minutes to accept, then 1 hour of use."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from healthbank import policy
from healthbank.access.models import Grant
from healthbank.accounts.models import OnlineAccount, OutboxEmail
from healthbank.audit.models import AccessLog
from healthbank.vcard import services
from tests.conftest import OTHER_ID, PERSON_ID, api_for, make_institution
from tests.vcard.conftest import APP, app_client_for, post_json

REQUESTS = "/api/vcard/v1/requests"


@pytest.fixture
def now(time_machine):
    """The clock stands still unless a test moves it (the 10 minutes and the hour are exact)."""
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    return start


@pytest.fixture
def app(holder):
    return app_client_for(holder)


def ask(api, national_id: str = PERSON_ID, purpose: str = "telemedicine"):
    return post_json(api, REQUESTS, {"national_id": national_id, "purpose": purpose})


def asked(api) -> str:
    response = ask(api)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def answer(app, request_id: str, what: str = "accept"):
    return post_json(app, f"{APP}/requests/{request_id}/answer", {"answer": what})


def use(api, request_id: str):
    return api.get(f"{REQUESTS}/{request_id}/insurance")


def reason_of(response, status: int) -> str:
    assert response.status_code == status, response.content
    return response.json()["reason"]


def test_a_request_waits_for_the_person_ten_minutes(holder, institution_api, app, now):
    response = ask(institution_api, purpose="home_care")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "waiting" and body["purpose"] == "home_care" and body["usable_until"] is None
    assert dt.datetime.fromisoformat(body["answer_by"]) == now + policy.VCARD_INSTITUTION_ACCEPT_WITHIN
    assert institution_api.get(f"{REQUESTS}/{body['id']}").json()["status"] == "waiting"
    assert reason_of(use(institution_api, body["id"]), 409) == "waiting"
    [waiting] = app.get(APP).json()["requests"]  # the person sees it in the app
    assert waiting["id"] == body["id"] and waiting["purpose"] == "home_care"
    [notice] = OutboxEmail.objects.filter(person=holder, subject__contains="asks to use")  # and by e-mail
    assert notice.recipient == OnlineAccount.objects.get(person=holder).email
    assert PERSON_ID not in notice.body


def test_an_id_nobody_has_is_unprocessable(holder, institution_api):
    response = ask(institution_api, national_id=OTHER_ID)
    assert reason_of(response, 422) == "unknown_person"
    assert response.json()["errors"]["national_id"]


@pytest.mark.parametrize("national_id", ["A123456788", "123456789", "", "A12345678", 12, None, "A1234567890" * 3])
def test_a_malformed_id_is_refused_naming_national_id(holder, institution_api, national_id):
    response = post_json(institution_api, REQUESTS, {"national_id": national_id, "purpose": "telemedicine"})
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["national_id"]


@pytest.mark.parametrize("purpose", ["", "shopping", None, "TELEMEDICINE"])
def test_an_unknown_purpose_is_refused_naming_purpose(holder, institution_api, purpose):
    response = post_json(institution_api, REQUESTS, {"national_id": PERSON_ID, "purpose": purpose})
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["purpose"]


def test_accepted_in_time_the_institution_reads_the_insurance_status_for_an_hour(
    holder, institution, institution_api, app, now, time_machine
):
    request_id = asked(institution_api)
    time_machine.move_to(now + dt.timedelta(minutes=9, seconds=59), tick=False)
    accepted = answer(app, request_id)
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"
    followed = institution_api.get(f"{REQUESTS}/{request_id}").json()
    assert followed["status"] == "accepted"
    until = dt.datetime.fromisoformat(followed["usable_until"])
    assert until == now + dt.timedelta(minutes=9, seconds=59) + policy.VCARD_INSTITUTION_AUTH_VALID_FOR
    response = use(institution_api, request_id)
    assert response.status_code == 200, response.content
    assert response.json()["national_id"] == "A12345****" and response.json()["insurance"]["status"] == "insured"
    assert PERSON_ID not in response.content.decode()
    assert AccessLog.objects.filter(
        person_id=holder.pk, what=AccessLog.What.VCARD_READ, actor_label=f"institution {institution.pk}"
    ).exists()
    time_machine.move_to(until - dt.timedelta(seconds=1), tick=False)
    assert use(institution_api, request_id).status_code == 200
    time_machine.move_to(until, tick=False)
    assert reason_of(use(institution_api, request_id), 410) == "ended"
    assert institution_api.get(f"{REQUESTS}/{request_id}").json()["status"] == "ended"


def test_accepting_after_ten_minutes_is_too_late(holder, institution_api, app, now, time_machine):
    request_id = asked(institution_api)
    time_machine.move_to(now + policy.VCARD_INSTITUTION_ACCEPT_WITHIN, tick=False)
    assert reason_of(answer(app, request_id), 410) == "expired"
    assert reason_of(use(institution_api, request_id), 410) == "expired"
    assert institution_api.get(f"{REQUESTS}/{request_id}").json()["status"] == "expired"
    assert app.get(APP).json()["requests"] == []
    assert not Grant.objects.filter(why=Grant.Why.INSTITUTION_REQUEST).exists()


def test_a_declined_request_is_forbidden(holder, institution_api, app):
    request_id = asked(institution_api)
    declined = answer(app, request_id, "decline")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert reason_of(use(institution_api, request_id), 403) == "declined"
    assert institution_api.get(f"{REQUESTS}/{request_id}").json()["status"] == "declined"


def test_another_institutions_request_is_not_found(holder, institution_api, app):
    request_id = asked(institution_api)
    assert answer(app, request_id).status_code == 200
    other = api_for(make_institution("0140090033"))
    assert other.get(f"{REQUESTS}/{request_id}").status_code == 404
    assert use(other, request_id).status_code == 404
    assert institution_api.get(f"{REQUESTS}/00000000-0000-0000-0000-000000000000").status_code == 404


def test_another_persons_app_cannot_answer(holder, other_person, institution_api, app):
    request_id = asked(institution_api)
    stranger = app_client_for(other_person)
    response = answer(stranger, request_id)
    assert response.status_code == 404 and response.json()["errors"]
    assert answer(stranger, request_id, "decline").status_code == 404
    assert institution_api.get(f"{REQUESTS}/{request_id}").json()["status"] == "waiting"
    assert answer(app, request_id).status_code == 200  # the person still can


@pytest.mark.parametrize("first, second", [("accept", "accept"), ("accept", "decline"), ("decline", "accept")])
def test_a_request_is_answered_once(holder, institution_api, app, first, second):
    request_id = asked(institution_api)
    assert answer(app, request_id, first).status_code == 200
    assert reason_of(answer(app, request_id, second), 409) == "answered"
    assert Grant.objects.filter(why=Grant.Why.INSTITUTION_REQUEST).count() == (first == "accept")


@pytest.mark.parametrize("body", [{"answer": "yes"}, {"answer": ""}, {}, {"answer": 1}])
def test_the_answer_is_accept_or_decline(holder, institution_api, app, body):
    request_id = asked(institution_api)
    response = post_json(app, f"{APP}/requests/{request_id}/answer", body)
    assert response.status_code == 400 and list(response.json()["errors"]) == ["answer"]


def test_the_person_ends_the_hour_at_once(holder, institution_api, app):
    request_id = asked(institution_api)
    assert answer(app, request_id).status_code == 200
    assert use(institution_api, request_id).status_code == 200
    services.end_institution_authorisation(holder, request_id)
    assert reason_of(use(institution_api, request_id), 410) == "ended"
    assert institution_api.get(f"{REQUESTS}/{request_id}").json()["status"] == "ended"


def test_ending_a_request_not_yet_answered_declines_it(holder, institution_api):
    request_id = asked(institution_api)
    services.end_institution_authorisation(holder, request_id)
    assert reason_of(use(institution_api, request_id), 403) == "declined"


def test_too_many_requests_for_one_person_are_throttled(holder, institution_api):
    allowed, _window = policy.VCARD_REQUEST_RATE
    for _ in range(allowed):
        assert ask(institution_api).status_code == 201
    response = ask(institution_api)
    assert reason_of(response, 429) == "throttled"
    assert response.json()["errors"]["national_id"]
    # Another clinic is not held up by this one's requests.
    assert ask(api_for(make_institution("0140090044"))).status_code == 201


def test_only_an_institution_sends_requests(holder, app):
    assert (
        post_json(api_for(agency="HPA"), REQUESTS, {"national_id": PERSON_ID, "purpose": "telemedicine"}).status_code
        == 403
    )
    assert post_json(app, REQUESTS, {"national_id": PERSON_ID, "purpose": "telemedicine"}).status_code == 401
