import pytest

from healthbank.records.services import RECORD_TYPES

pytestmark = pytest.mark.django_db


def test_the_openapi_document_describes_every_ingestion_endpoint(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    for name in RECORD_TYPES:
        operation = schema["paths"][f"/api/ingest/v1/{name}"]["post"]
        assert {"200", "207", "422", "400", "401", "403", "413"} <= set(operation["responses"])
    visit = schema["components"]["schemas"]["VisitIn"]
    assert {"national_id", "card_number", "diagnoses", "drug_orders", "non_drug_orders"} <= set(visit["properties"])


def test_swagger_ui_is_served_without_the_internet(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in response.content.decode()


@pytest.mark.parametrize(("path", "text"), [("/", "健康存摺"), ("/en/", "My Health Bank")])
def test_the_home_page_speaks_both_languages(client, path, text):
    response = client.get(path)
    assert response.status_code == 200
    assert text in response.content.decode()


def test_switching_language_keeps_the_page(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/register/"})
    assert response.url == "/en/register/"
    response = client.post("/en/i18n/setlang/", {"language": "zh-hant", "next": "/en/register/"})
    assert response.url == "/register/"
