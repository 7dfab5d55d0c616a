"""The public list of institutions that accept the virtual card (SPEC §9): the page and the API."""

from __future__ import annotations

import re

import pytest

from healthbank.records.models import Institution
from healthbank.vcard.directory import FilterRefused, institutions_accepting_card, tel_link
from tests.conftest import make_institution

# Until healthbank/urls.py includes the virtual card's URLs: the project's plus the list's.
pytestmark = [pytest.mark.django_db]

PAGE = "/vcard/institutions/"
API = "/api/vcard/v1/institutions"


def institution(
    code, *, name, county="臺北市", township="中正區", kind="clinic", name_en="", accepts=True, listed=True
):
    found = make_institution(code, kind=kind, specialty="pharmacy" if kind == "pharmacy" else "western")
    Institution.objects.filter(pk=found.pk).update(
        name=name,
        name_en=name_en,
        county=county,
        township=township,
        address=f"{county}{township}測試路{code[-2:]}號",
        phone="02-2345-6789",
        accepts_virtual_card=accepts,
        listed=listed,
    )
    return code


@pytest.fixture
def world(db):
    institution("0101010001", name="臺大醫院", name_en="National Taiwan University Hospital", kind="medical_center")
    institution("0101010002", name="中正好藥局", kind="pharmacy")
    institution("0101010003", name="大安家醫診所", township="大安區", name_en="Da'an Family Clinic")
    institution("0131010004", name="板橋安心診所", county="新北市", township="板橋區")
    institution("0101010005", name="不收虛擬卡診所", accepts=False)
    institution("0101010006", name="匯入才知道的診所", listed=False)


def names(response) -> list[str]:
    return re.findall(r'<h3 class="institution-name"[^>]*>([^<]+)</h3>', response.content.decode())


# ------------------------------------------------------------------ the page


def test_the_page_lists_only_institutions_that_accept_the_card_and_are_on_the_list(client, world):
    response = client.get(PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Institutions that accept the virtual NHI card" in page or "虛擬健保卡" in page
    assert sorted(names(response)) == sorted(["臺大醫院", "中正好藥局", "大安家醫診所", "板橋安心診所"])
    assert "不收虛擬卡診所" not in page and "匯入才知道的診所" not in page
    assert re.search(r"<h2 id=\"results-title\">[^<]*?(?<!\d)4(?!\d)", page)


def test_the_page_needs_no_login_and_works_without_javascript(client, world):
    page = client.get(PAGE).content.decode()
    form = re.search(r"<form method=\"get\"[^>]*class=\"institution-search\".*?</form>", page, re.S).group(0)
    assert "<script" not in form and "onchange" not in form
    assert all(f'name="{name}"' in form for name in ("county", "township", "kind", "q"))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("county=新北市", ["板橋安心診所"]),
        ("county=臺北市", ["臺大醫院", "中正好藥局", "大安家醫診所"]),
        ("county=臺北市&township=大安區", ["大安家醫診所"]),
        ("kind=pharmacy", ["中正好藥局"]),
        ("q=安心", ["板橋安心診所"]),
        ("q=0101010003", ["大安家醫診所"]),
        ("q=family clinic", ["大安家醫診所"]),
        ("q=台大", ["臺大醫院"]),  # 台 and 臺 find each other
        ("county=臺北市&kind=medical_center&q=臺大", ["臺大醫院"]),
        ("county=臺中市", []),  # a real county with none yet: an empty list, not an error
    ],
)
def test_the_page_filters_by_county_township_kind_and_name(client, world, query, expected):
    response = client.get(f"{PAGE}?{query}")
    assert response.status_code == 200
    assert sorted(names(response)) == sorted(expected)
    if not expected:
        assert "查無符合條件且接受虛擬健保卡的醫事機構" in response.content.decode()


def test_the_township_select_offers_only_the_chosen_countys_townships(client, world):
    page = client.get(f"{PAGE}?county=新北市").content.decode()
    township = re.search(r'<select name="township".*?</select>', page, re.S).group(0)
    assert 'value="板橋區"' in township and 'value="中正區"' not in township
    page = client.get(PAGE).content.decode()
    township = re.search(r'<select name="township".*?</select>', page, re.S).group(0)
    assert township.count("<option") == 1  # "all": a county first


def test_a_township_of_another_county_is_an_error_on_the_township_field(client, world):
    response = client.get("/en" + PAGE + "?county=新北市&township=中正區")
    assert response.status_code == 200
    page = response.content.decode()
    assert names(response) == []
    assert 'href="#id_township"' in page  # the error summary leads to the field
    assert "Not a township of New Taipei City" in page
    field = re.search(r'<div class="field field-has-error">.*?</div>', page, re.S).group(0)
    assert 'name="township"' in field and 'aria-invalid="true"' in field


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("kind=spa", "kind", "Not a kind of institution"),
        ("county=Atlantis", "county", "Not a county or city of Taiwan"),
        ("township=中正區", "township", "Choose the county or city first"),
    ],
)
def test_an_unknown_value_names_its_field_on_the_page(client, world, query, field, message):
    page = client.get(f"/en{PAGE}?{query}").content.decode()
    assert f'href="#id_{field}"' in page and message in page
    assert "institution-card" not in page


def test_the_chinese_page_speaks_chinese_and_the_english_page_english(client, world):
    zh = client.get(f"{PAGE}?county=臺北市").content.decode()
    assert "醫學中心" in zh and "藥局" in zh
    assert "臺北市 中正區" in zh and "臺大醫院" in zh
    assert 'href="tel:0223456789"' in zh

    en = client.get(f"/en{PAGE}?county=臺北市").content.decode()
    assert "Medical centre" in en and "Pharmacy" in en
    assert "Zhongzheng District, Taipei City" in en and "Da&#x27;an District, Taipei City" in en
    assert "National Taiwan University Hospital" in en and "臺大醫院" not in en
    assert '<h3 class="institution-name" lang="zh-Hant-TW">中正好藥局</h3>' in en  # no English name: Chinese, marked
    assert '<option value="新北市">New Taipei City</option>' in en


def test_the_page_shows_20_a_page_keeps_the_search_in_its_links_and_404s_past_the_end(client, db):
    for n in range(45):
        institution(f"01020{n:05d}", name=f"新北第{n:02d}診所", county="新北市", township="板橋區")
    first = client.get(f"{PAGE}?county=新北市")
    assert len(names(first)) == 20
    assert re.search(r"<h2 id=\"results-title\">[^<]*?(?<!\d)45(?!\d)", first.content.decode())
    assert "?county=%E6%96%B0%E5%8C%97%E5%B8%82&amp;page=3" in first.content.decode()
    last = client.get(f"{PAGE}?county=新北市&page=3")
    assert names(last) == [f"新北第{n:02d}診所" for n in range(40, 45)]  # ordered by code
    assert client.get(f"{PAGE}?county=新北市&page=4").status_code == 404
    assert client.get(f"{PAGE}?page=x").status_code == 404


# ------------------------------------------------------------------ the API


def test_the_api_answers_the_list_in_its_documented_shape(client, world):
    response = client.get(API, {"lang": "zh-hant"})
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["pages"]) == (4, 1, 1)
    # County and township names sort as the database collates Chinese; within one township, by code.
    found = {i["code"]: i for i in body["institutions"]}
    assert set(found) == {"0101010001", "0101010002", "0101010003", "0131010004"}
    in_zhongzheng = [i["code"] for i in body["institutions"] if i["township"] == "中正區"]
    assert in_zhongzheng == ["0101010001", "0101010002"]
    assert found["0101010001"] == {
        "code": "0101010001",
        "name": "臺大醫院",
        "name_en": "National Taiwan University Hospital",
        "kind": "medical_center",
        "kind_label": "醫學中心",
        "county": "臺北市",
        "township": "中正區",
        "address": "臺北市中正區測試路01號",
        "phone": "02-2345-6789",
    }
    english = client.get(API, {"lang": "en", "kind": "medical_center"}).json()["institutions"]
    assert english[0]["kind_label"] == "Medical centre"


@pytest.mark.parametrize(
    ("params", "codes"),
    [
        ({"county": "新北市"}, ["0131010004"]),
        ({"county": "臺北市", "township": "大安區"}, ["0101010003"]),
        ({"kind": "pharmacy"}, ["0101010002"]),
        ({"q": "臺大"}, ["0101010001"]),
        ({"q": "0131"}, ["0131010004"]),
    ],
)
def test_the_api_filters(client, world, params, codes):
    assert [i["code"] for i in client.get(API, params).json()["institutions"]] == codes


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "spa"}, "kind"),
        ({"county": "Atlantis"}, "county"),
        ({"county": "新北市", "township": "中正區"}, "township"),
        ({"township": "中正區"}, "township"),
        ({"q": "x" * 101}, "q"),
        ({"q": "a\x00b"}, "q"),
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"lang": "fr"}, "lang"),
        ({"sort": "name"}, "sort"),
    ],
)
def test_the_api_refuses_a_bad_parameter_with_400_naming_it(client, world, params, field):
    response = client.get(API, params)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_the_api_speaks_the_asked_language_in_its_errors(client, world):
    body = client.get(API, {"county": "新北市", "township": "中正區", "lang": "en"}).json()
    assert body == {"errors": {"township": ["Not a township of New Taipei City; choose one of its townships, or all."]}}


def test_the_api_pages_by_20_and_answers_404_past_the_last_page(client, db):
    for n in range(45):
        institution(f"01020{n:05d}", name=f"新北第{n:02d}診所", county="新北市", township="板橋區")
    body = client.get(API, {"page": "3"}).json()
    assert (body["count"], body["page"], body["pages"], len(body["institutions"])) == (45, 3, 3, 5)
    assert len(client.get(API).json()["institutions"]) == 20
    past = client.get(API, {"page": "4", "lang": "en"})
    assert past.status_code == 404
    assert past.json() == {"errors": {"page": ["There are only 3 pages of this list."]}}


def test_an_empty_list_is_one_empty_page_not_an_error(client, db):
    assert client.get(API, {"county": "連江縣"}).json() == {"count": 0, "page": 1, "pages": 1, "institutions": []}


def test_the_api_is_documented_as_public_with_its_refusals(client):
    document = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = document["paths"]["/api/vcard/v1/institutions"]["get"]
    assert operation["tags"] == ["virtual card: public"]
    assert {"200", "400", "404"} <= set(operation["responses"])
    assert {p["name"] for p in operation["parameters"]} == {"county", "township", "kind", "q", "page", "lang"}
    assert not any(operation.get("security") or [])


# ------------------------------------------------------------------ the selector


def test_the_selector_refuses_what_the_page_and_the_api_refuse(world):
    with pytest.raises(FilterRefused) as refused:
        institutions_accepting_card(county="臺北市", township="板橋區")
    assert refused.value.field == "township"
    found = institutions_accepting_card(county="臺北市").values_list("code", flat=True)
    assert sorted(found) == ["0101010001", "0101010002", "0101010003"]


@pytest.mark.parametrize(
    ("phone", "link"),
    [("02-2345-6789", "tel:0223456789"), ("(02)2345-6789#123", "tel:0223456789,123"), ("", "")],
)
def test_phone_numbers_become_links_a_phone_can_dial(phone, link):
    assert tel_link(phone) == link
