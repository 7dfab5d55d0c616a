"""Speed (issue 8): every passbook page and endpoint costs a fixed number of queries, whatever the history.

A page is served by indexed per-person queries; a person with many times more records than another must not
cost one query more. Walks every route of the passbook (web and app API) that needs no record id.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from healthbank.insurance.models import PremiumCalculation, PremiumPayment
from healthbank.records import models as records

from .conftest import app_as, web_as

KEEP = 2  # records of each kind left after trimming: enough that every list still has rows to prefetch for


def _routes(prefix: str) -> list[str]:
    """Route names under ``prefix`` that take only the person's id, with their namespace (``exports:summary``)."""
    names = []

    def walk(patterns, inside: bool, namespace: str):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, inside or prefix in str(entry.pattern), entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and inside and entry.name and "<" not in str(entry.pattern):
                names.append(f"{namespace}:{entry.name}" if namespace else entry.name)

    walk(get_resolver().url_patterns, False, "")
    return sorted(set(names))


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


WEB_ROUTES = _routes("passbook/<uuid:person_id>/")
API_ROUTES = _routes("passbook/<uuid:person_id>/")


def trim_history(person) -> int:
    """Delete all but the newest ``KEEP`` records of each kind of ``person`` (inside the test's transaction)."""
    removed = 0

    def keep_newest(queryset, order: str):
        nonlocal removed
        extra = list(queryset.order_by(order).values_list("pk", flat=True)[KEEP:])
        removed += len(extra)
        queryset.model.objects.filter(pk__in=extra).delete()

    for kind in records.Visit.Kind.values:
        keep_newest(records.Visit.objects.filter(person=person, kind=kind), "-visit_date")
    keep_newest(PremiumPayment.objects.filter(person=person), "-paid_on")
    paid = PremiumPayment.objects.filter(person=person).values("calculation")
    keep_newest(PremiumCalculation.objects.filter(person=person).exclude(pk__in=paid), "-month")
    for model, order in (
        (records.ChronicPrescription, "-prescribed_on"),
        (records.LabResult, "-collected_on"),
        (records.Report, "-performed_on"),
        (records.Allergy, "-uploaded_on"),
        (records.Vaccination, "-vaccinated_on"),
        (records.PreventiveCheck, "-checked_on"),
        (records.CancerScreening, "-screened_on"),
        (records.FollowUp, "-measured_on"),
    ):
        keep_newest(model.objects.filter(person=person), order)
    return removed


POSTED_ONLY = {"exports:import", "app-import"}  # imports take a file: nothing to read with a GET


def _web_routes() -> list[str]:
    return [
        n for n in _routes("passbook/<uuid:person_id>/") if ":" in n and not n.endswith("-ics") and n not in POSTED_ONLY
    ]


def _api_routes() -> list[str]:
    return [n for n in _routes("passbook/<uuid:person_id>/") if n.startswith("app-") and n not in POSTED_ONLY]


def test_the_walk_finds_the_pages():
    assert {"passbook:overview", "passbook:outpatient", "exports:download", "exports:summary"} <= set(_web_routes())
    assert {"app-passbook-summary", "app-downloads", "app-doctor-summary"} <= set(_api_routes())


def _web_counts(client, person) -> dict[str, int]:
    cache.clear()  # both walks start with the same cache (the health news is cached for everyone)
    web_as(person, client)
    with translation.override("en"):
        return {name: _count(client, reverse(name, args=[person.pk])) for name in _web_routes()}


def _api_counts(person) -> dict[str, int]:
    cache.clear()
    api = app_as(person)
    return {name: _count(api, reverse(name, args=[person.pk])) for name in _api_routes()}


def test_every_page_and_endpoint_costs_the_same_queries_for_a_long_and_a_short_history(adult_with_visits, client):
    long_web, long_api = _web_counts(client, adult_with_visits), _api_counts(adult_with_visits)
    assert trim_history(adult_with_visits) > 100
    short_web, short_api = _web_counts(client, adult_with_visits), _api_counts(adult_with_visits)
    grew = {name: (long_web[name], short_web[name]) for name in long_web if long_web[name] != short_web[name]}
    grew |= {name: (long_api[name], short_api[name]) for name in long_api if long_api[name] != short_api[name]}
    assert grew == {}, f"queries (long history, short history) that differ: {grew}"
