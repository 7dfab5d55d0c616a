"""The certificates in the app (``/api/app/v1/services/<person_id>/certificates/...``, SPEC §10)."""

from __future__ import annotations

import json

import pytest

from healthbank.insurance.models import IssuedDocument
from tests.insurance.conftest import app_client_for
from tests.insurance.test_certificates import flat, pay_year
from tests.insurance.test_pdf_layer import pdf_text

pytestmark = pytest.mark.django_db
APP = "/api/app/v1/services"


def post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def app(household):
    return app_client_for(household.parent)


def test_the_app_issues_an_english_certificate_for_a_dependent_and_downloads_it(app, household, client):
    body = {"date_from": "2020-01-01", "date_to": "2024-06-30", "language": "en", "name_en": "Lin, Shu-Fen"}
    response = post(app, f"{APP}/{household.spouse.pk}/certificates/insurance?lang=en", body)
    assert response.status_code == 201, response.content
    issued = response.json()
    assert issued["kind"] == "insurance" and issued["language"] == "en"
    assert issued["says"]["name_en"] == "LIN, SHU-FEN"
    assert issued["says"]["periods"][0]["role"] == "dependent"
    assert issued["verify_url"].endswith(f"/en/verify/{issued['code']}/")
    again = post(app, f"{APP}/{household.spouse.pk}/certificates/insurance", body)
    assert again.status_code == 200 and again.json()["code"] == issued["code"]
    assert IssuedDocument.objects.count() == 1

    pdf = app.get(issued["pdf_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "LIN, SHU-FEN" in pdf_text(pdf.content)
    listed = app.get(f"{APP}/{household.spouse.pk}/certificates").json()["certificates"]
    assert [c["code"] for c in listed] == [issued["code"]]
    assert client.get(f"/en/verify/{issued['code']}/").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date_from": "1999-01-01", "date_to": "1999-12-31"}, "date_from"),
        ({"date_from": "2020-13-01", "date_to": "2020-12-31"}, "date_from"),
        ({"date_from": "2020-01-01", "date_to": 20201231}, "date_to"),
        ({"date_from": "2020-01-01", "date_to": "2020-12-31", "language": "de"}, "language"),
        ({"date_from": "2020-01-01", "date_to": "2020-12-31", "language": "en", "name_en": "陳大文"}, "name_en"),
        ({"date_from": "2020-01-01", "date_to": "2020-12-31", "language": "en"}, "name_en"),
    ],
)
def test_bad_input_is_refused_in_the_error_shape(app, household, body, field):
    response = post(app, f"{APP}/{household.parent.pk}/certificates/insurance", body)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not IssuedDocument.objects.exists()


def test_not_a_json_object_is_refused(app, household):
    response = post(app, f"{APP}/{household.parent.pk}/certificates/insurance", ["2020-01-01"])
    assert response.status_code == 400 and "body" in response.json()["errors"]


def test_the_premium_certificate_in_the_app(app, household):
    pay_year(household.parent, 2024)
    response = post(app, f"{APP}/{household.parent.pk}/certificates/premiums", {"year": 2024})
    assert response.status_code == 201
    says = response.json()["says"]
    assert says["total"] == 11 * 2844 and len(says["people"]) == 4
    assert "綜合所得稅" in flat(pdf_text(app.get(response.json()["pdf_url"]).content))
    refused = post(app, f"{APP}/{household.parent.pk}/certificates/premiums?lang=en", {"year": 2018})
    assert refused.status_code == 400
    assert "2018" in refused.json()["errors"]["year"][0]
    assert post(app, f"{APP}/{household.parent.pk}/certificates/premiums", {"year": "soon"}).status_code == 400


def test_not_yours_is_404_like_missing(household, other_person):
    stranger = app_client_for(other_person)
    body = {"date_from": "2020-01-01", "date_to": "2020-12-31"}
    assert post(stranger, f"{APP}/{household.parent.pk}/certificates/insurance", body).status_code == 404
    assert stranger.get(f"{APP}/{household.parent.pk}/certificates").status_code == 404
    teen = app_client_for(household.teen)
    assert post(teen, f"{APP}/{household.parent.pk}/certificates/premiums", {"year": 2024}).status_code == 404
    parent = app_client_for(household.parent)
    issued = post(parent, f"{APP}/{household.parent.pk}/certificates/insurance", body).json()
    assert stranger.get(f"{APP}/{other_person.pk}/certificates/{issued['id']}/pdf").status_code == 404
    assert post(parent, f"{APP}/{household.spouse.pk}/certificates/premiums", {"year": 2024}).status_code == 404


def test_the_services_index_lists_the_certificates(app, household):
    services = {s["key"]: s for s in app.get(f"{APP}/?lang=en").json()["services"]}
    assert services["insurance_certificate"]["for_dependents"] is True
    assert services["premium_certificate"]["for_dependents"] is False
