"""A real Celery worker produces and sweeps packages: the hand-over after the commit, the broker, the task.

The worker runs in this process on a thread of its own (solo pool) and consumes from the configured broker —
Redis when REDIS_URL is set (the PostgreSQL suite), Kombu's in-memory transport otherwise. It listens only on a
queue named for this test, so another test run sharing the Redis can never take its tasks. Tasks are not run
eagerly during these tests: they travel through the broker as in production.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
import pyzipper
from celery import signals
from celery.contrib.testing.worker import start_worker
from django.db import connections
from django.utils import timezone

from healthbank import celery_app
from healthbank.access.rules import Reader
from healthbank.exports import services
from healthbank.exports.models import ExportJob
from healthbank.exports.tasks import sweep_exports_task
from healthbank.passbook.viewing import open_viewing
from tests.accounts.conftest import NOON

pytestmark = pytest.mark.django_db(transaction=True)

PATIENCE = 60.0  # seconds a job may take through the broker and the worker before the test gives up
LOOK_EVERY = 0.2


def _forget_broker_connections():
    celery_app.amqp._producer_pool = None
    celery_app._pool = None


def _close_worker_connections(**_kwargs):
    # Runs on the worker's thread after each task: a connection left open there would keep PostgreSQL from
    # dropping the test database at the end of the run.
    connections.close_all()


@pytest.fixture
def worker(world, settings, tmp_path, time_machine):
    """A worker consuming this test's own queue; tasks go through the broker (not eager) until the test ends.

    Gives the names of the tasks the worker took off the broker.
    """
    settings.MEDIA_ROOT = tmp_path / "media"
    # After the population is loaded, the clock runs on from its noon: the worker's polls and timeouts need time
    # to pass.
    time_machine.move_to(NOON, tick=True)
    queue = f"hbtest-exports-{uuid.uuid4().hex}"
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = False, queue
    _forget_broker_connections()
    uid = f"test-worker-{queue}"
    received = []
    signals.task_postrun.connect(_close_worker_connections, weak=False, dispatch_uid=uid)
    # Sent only by a worker taking a message off the broker, never for a task run eagerly.
    signals.task_received.connect(
        lambda request, **_kwargs: received.append(request.name), weak=False, dispatch_uid=uid
    )
    try:
        with start_worker(
            celery_app, pool="solo", concurrency=1, perform_ping_check=False, queues=[queue], shutdown_timeout=30
        ):
            yield received
    finally:
        signals.task_postrun.disconnect(dispatch_uid=uid)
        signals.task_received.disconnect(dispatch_uid=uid)
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = saved
        with celery_app.connection_for_write() as connection:
            connection.default_channel.queue_delete(queue)
        _forget_broker_connections()


def wait_until(condition, what: str):
    """Look at the database every LOOK_EVERY seconds until ``condition()`` is true; fail after PATIENCE."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(LOOK_EVERY)
    raise AssertionError(f"after {PATIENCE:.0f} s still waiting for {what}")


def ask(person, **asked):
    viewing = open_viewing(Reader.person(person, address="10.1.2.3"), person.pk, "zh-hant")
    asked.setdefault("categories", ["outpatient", "labs"])
    asked.setdefault("formats", ["html", "json"])
    return services.request_export(viewing, services.clean_selection(viewing, **asked))


def produced(jobs):
    """The jobs again once the worker has finished every one of them (else None)."""
    found = list(ExportJob.objects.filter(pk__in=[j.pk for j in jobs]).order_by("sequence"))
    return found if all(j.status == ExportJob.Status.READY for j in found) else None


def test_a_package_asked_for_is_produced_by_the_worker_and_opens_with_the_national_id(worker, adult_with_visits):
    job = ask(adult_with_visits)
    assert job.status == ExportJob.Status.QUEUED  # the request answers at once; the worker does the rest

    ready = wait_until(
        lambda: ExportJob.objects.filter(pk=job.pk, status__in=["ready", "failed"]).first(), "the package"
    )

    assert ready.status == ExportJob.Status.READY, ready.failure
    assert worker == ["healthbank.exports.tasks.produce_export_task"]
    assert ready.progress == 100 and ready.running_slot is None and ready.sealed_password == ""
    assert ready.available_until == ready.produced_at + dt.timedelta(days=7)
    with pyzipper.AESZipFile(services.storage_dir() / ready.stored_as) as archive:
        archive.setpassword(adult_with_visits.national_id.encode())
        names = archive.namelist()
        assert {"README.txt", "index.html", "html/outpatient.html", "html/labs.html"} <= set(names)
        assert adult_with_visits.national_id_masked in archive.read("README.txt").decode()
    _job, path = services.open_download(Reader.person(adult_with_visits), adult_with_visits, job.pk)
    assert path.stat().st_size == ready.size


def test_the_sweep_run_by_the_worker_deletes_an_expired_package_and_keeps_a_fresh_one(worker, adult_with_visits):
    asked = [ask(adult_with_visits), ask(adult_with_visits)]
    old, fresh = wait_until(lambda: produced(asked), "two packages")
    ExportJob.objects.filter(pk=old.pk).update(available_until=timezone.now() - dt.timedelta(seconds=1))
    folder = services.storage_dir()
    assert {p.name for p in folder.iterdir()} == {old.stored_as, fresh.stored_as}

    sweep_exports_task.delay()

    wait_until(lambda: not ExportJob.objects.filter(pk=old.pk).exists(), "the sweep")
    assert worker[-1] == "healthbank.exports.tasks.sweep_exports_task"
    assert [p.name for p in folder.iterdir()] == [fresh.stored_as]
    assert ExportJob.objects.get(pk=fresh.pk).status == ExportJob.Status.READY
    with pytest.raises(services.NotReadable):
        services.open_download(Reader.person(adult_with_visits), adult_with_visits, old.pk)
