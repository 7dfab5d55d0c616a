"""Packages asked for and produced at the same moment: the production slots, the day's sequence, one file a job.

Each request runs on its own thread and database connection against committed data (SQLite serialises the
writers, PostgreSQL checks the unique constraints as they commit), released together by a barrier, so every
race is real. Celery does not run here: the hand-over to the worker is switched off and the tests call the
task's body themselves.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.utils import translation

from healthbank import policy
from healthbank.access.rules import Reader
from healthbank.audit.models import AccessLog
from healthbank.exports import services
from healthbank.exports.models import ExportJob
from healthbank.passbook.viewing import open_viewing
from tests.passbook.conftest import web_as

pytestmark = pytest.mark.django_db(transaction=True)

AT_ONCE = 8
SMALL = {"categories": ["outpatient", "labs"], "formats": ["json"]}


@pytest.fixture(autouse=True)
def _no_worker(monkeypatch, settings, tmp_path):
    """No Celery: a job asked for stays waiting until a test produces it; packages go to a scratch folder."""
    monkeypatch.setattr(services, "hand_to_worker", lambda job_id: None)
    settings.MEDIA_ROOT = tmp_path / "media"


def together(count: int, attempt) -> list:
    """``attempt(n, start)`` for n in range(count) on threads of their own; each waits at ``start`` first."""
    start = threading.Barrier(count)

    def run(n):
        try:
            return attempt(n, start)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def ask_at_once(person) -> list:
    """``AT_ONCE`` requests of ``person`` for their own package: each the job or the refusal."""

    def ask(_n, start):
        viewing = open_viewing(Reader.person(person, address="10.1.2.3"), person.pk, "zh-hant")
        selection = services.clean_selection(viewing, **SMALL)
        start.wait(timeout=30)
        try:
            with translation.override("en"):  # the refusal as an English reader gets it
                return services.request_export(viewing, selection)
        except services.ExportRefused as refused:
            return refused

    return together(AT_ONCE, ask)


def finish_all(person) -> None:
    """What the worker does to the person's waiting jobs, one after the other."""
    for job in ExportJob.objects.filter(person=person, status=ExportJob.Status.QUEUED):
        assert services.produce_export(job.pk).status == ExportJob.Status.READY


def test_eight_requests_at_once_take_the_slots_and_number_the_day_without_gaps(adult_with_visits):
    limit = policy.DOWNLOAD_RUNNING_MAX
    answers = ask_at_once(adult_with_visits)

    taken = [a for a in answers if isinstance(a, ExportJob)]
    refused = [a for a in answers if isinstance(a, services.ExportRefused)]
    assert len(taken) == limit and len(refused) == AT_ONCE - limit, answers
    assert {r.status for r in refused} == {429}
    assert all(f"{limit} packages are already in production" in r.message for r in refused)
    stored = ExportJob.objects.filter(person=adult_with_visits).order_by("sequence")
    assert [j.sequence for j in stored] == list(range(1, limit + 1))
    assert sorted(j.running_slot for j in stored) == list(range(1, limit + 1))
    assert {j.file_name for j in stored} == {f"健康存摺_1151120_{n}.zip" for n in range(1, limit + 1)}

    # Once those are ready the slots are free again and the day's numbering goes on where it stopped.
    finish_all(adult_with_visits)
    again = [a for a in ask_at_once(adult_with_visits) if isinstance(a, ExportJob)]
    assert len(again) == limit
    stored = ExportJob.objects.filter(person=adult_with_visits).order_by("sequence")
    assert [j.sequence for j in stored] == list(range(1, 2 * limit + 1))
    assert len({j.file_name for j in stored}) == 2 * limit


def test_eight_posts_of_the_download_page_at_once_produce_the_limit_and_refuse_the_rest(adult_with_visits):
    limit = policy.DOWNLOAD_RUNNING_MAX
    clients = [web_as(adult_with_visits) for _n in range(AT_ONCE)]
    url = f"/en/passbook/{adult_with_visits.pk}/download/"  # the page in English
    form = {"categories": SMALL["categories"], "formats": SMALL["formats"], "cut": "merged"}

    def post(n, start):
        start.wait(timeout=30)
        response = clients[n].post(url, form)
        return response.status_code, response.content.decode()

    answers = together(AT_ONCE, post)

    statuses = sorted(status for status, _page in answers)
    assert statuses == [302] * limit + [429] * (AT_ONCE - limit), statuses
    for status, page in answers:
        if status == 429:
            assert f"{limit} packages are already in production" in page
    stored = ExportJob.objects.filter(person=adult_with_visits)
    assert sorted(stored.values_list("sequence", flat=True)) == list(range(1, limit + 1))
    assert len(set(stored.values_list("file_name", flat=True))) == limit


def test_one_job_delivered_twice_at_once_is_produced_once(adult_with_visits):
    viewing = open_viewing(Reader.person(adult_with_visits), adult_with_visits.pk, "zh-hant")
    job = services.request_export(viewing, services.clean_selection(viewing, **SMALL))

    def produce(_n, start):
        start.wait(timeout=30)
        return services.produce_export(job.pk)

    results = together(2, produce)

    produced = [r for r in results if r is not None]
    assert len(produced) == 1 and produced[0].status == ExportJob.Status.READY, results
    folder = services.storage_dir()
    assert sorted(p.name for p in folder.iterdir()) == [f"{job.pk}.zip"]
    stored = ExportJob.objects.get(pk=job.pk)
    assert (stored.status, stored.progress, stored.running_slot) == (ExportJob.Status.READY, 100, None)
    assert stored.size == (folder / f"{job.pk}.zip").stat().st_size
    produced_entries = AccessLog.objects.filter(person_id=adult_with_visits.pk, what="download_produced")
    assert produced_entries.count() == 1
