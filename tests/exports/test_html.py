"""The package's HTML files: self-contained, readable, the passbook's names, ROC dates, never the full ID."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from healthbank.core.rocdate import format_roc
from healthbank.exports.choices import SPLITTABLE, ExportCategory
from healthbank.exports.writers import html
from healthbank.passbook.selectors.common import diagnosis
from tests.exports.conftest import snapshot_of

pytestmark = pytest.mark.django_db


class Page(HTMLParser):
    """Collects what a reader's browser would fetch or run, and the page's text."""

    def __init__(self):
        super().__init__()
        self.fetches: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action", "data", "poster") and value:
                self.fetches.append((tag, name, value))

    def handle_data(self, data):
        self.text.append(data)


def parsed(body: bytes) -> Page:
    page = Page()
    page.feed(body.decode("utf-8"))
    page.close()
    return page


def test_every_category_is_a_self_contained_page(full_snapshot):
    person = full_snapshot.person
    for category in ExportCategory.values:
        body = html.category_html(full_snapshot, category)
        page = parsed(body)
        assert "html" in page.tags and "style" in page.tags, category
        assert "link" not in page.tags, category
        assert "script" not in page.tags, category
        for tag, name, value in page.fetches:
            assert not re.match(r"(?i)\s*(https?:)?//", value), (category, tag, name, value)
            assert tag != "img" or value.startswith("data:"), (category, value)
        text = "".join(page.text)
        assert "@import" not in body.decode() and "url(" not in body.decode(), category
        assert person.national_id_masked in text, category
        assert person.national_id not in body.decode(), category
        assert html.CHINESE_TITLES[category] in text and html.english_title(category) in text, category


def test_a_visit_shows_its_diagnosis_and_orders_with_roc_dates(full_snapshot):
    visits = [v for v in full_snapshot.rows("outpatient") if v.diagnoses.all() and v.drug_orders.all()]
    visit = visits[-1]
    text = "".join(parsed(html.category_html(full_snapshot, "outpatient")).text)
    named = diagnosis(visit.diagnoses.all()[0].icd10, full_snapshot.viewing)
    assert named["name"] and f"{named['code']} {named['name']}" in text
    assert visit.drug_orders.all()[0].drug_code in text
    assert f"{format_roc(visit.visit_date)} ({visit.visit_date.isoformat()})" in text
    assert "門診紀錄" in text and "Western-medicine outpatient visits" in text


def test_labs_show_value_unit_range_and_flag(full_snapshot):
    results = full_snapshot.rows("labs")
    assert results, "the busiest adult has lab results"
    text = "".join(parsed(html.category_html(full_snapshot, "labs")).text)
    result = results[-1]
    assert result.value in text and result.reference_range in text
    assert format_roc(result.collected_on) in text
    assert any(word in text for word in ("High", "Low", "Normal", "偏高", "偏低", "正常"))


def test_a_month_file_holds_only_that_month(full_snapshot):
    for category in SPLITTABLE:
        months = full_snapshot.months(category)
        if len(months) < 2:
            continue
        month = months[-1]
        text = "".join(parsed(html.category_html(full_snapshot, category, month)).text)
        inside = full_snapshot.rows(category, month)
        outside = [v for v in full_snapshot.rows(category) if v.visit_date.replace(day=1) != month]
        assert all(format_roc(v.visit_date) in text for v in inside)
        assert not any(format_roc(v.visit_date) in text for v in outside)
        return
    pytest.fail("the busiest adult has visits in two months at least")


def test_english_file_has_english_headings_and_both_dates(adult_with_visits):
    snapshot = snapshot_of(adult_with_visits, ["outpatient", "allergies"], language="en")
    text = "".join(parsed(html.category_html(snapshot, "outpatient")).text)
    visit = snapshot.rows("outpatient")[-1]
    assert "Drug orders" in text or "Diagnoses" in text
    assert f"{visit.visit_date.isoformat()} (ROC {format_roc(visit.visit_date)})" in text
    assert "Produced at" in text


def test_writing_does_not_query_the_database(full_snapshot):
    with CaptureQueriesContext(connection) as queries:
        for category in ExportCategory.values:
            html.category_html(full_snapshot, category)
        html.index_html(full_snapshot, [("outpatient.html", "門診")])
    assert [q["sql"] for q in queries.captured_queries] == []


def test_the_index_links_each_file_by_its_path_and_escapes(full_snapshot):
    body = html.index_html(full_snapshot, [("html/門診 2026-01.html", "<門診>"), ("html/labs.html", "Labs")])
    page = parsed(body)
    hrefs = [value for tag, name, value in page.fetches if tag == "a"]
    assert hrefs == ["html/%E9%96%80%E8%A8%BA%202026-01.html", "html/labs.html"]
    assert "<門診>" in "".join(page.text) and b"<\xe9\x96\x80" not in body
