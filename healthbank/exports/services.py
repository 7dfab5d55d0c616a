"""Download packages (SPEC §8): ask, produce, download, expire; and the counter's synchronous package.

- ``request_export`` checks the selection, takes one of the person's production slots (a unique constraint, so
  two requests at once can never both take the last one) and the day's next sequence number, and hands the job to
  Celery after the commit. A broker that is away leaves the job waiting; the sweep hands it over again.
- ``produce_export`` (the task's body) reads everything through the access rule again — a parent whose child
  turned 15 in between gets a failed job, not the data — writes the encrypted zip and frees the slot.
- ``open_download`` hands a ready package to the one who asked for it until it expires; ``sweep_exports``
  deletes expired packages (file and row) and re-sends jobs the broker never got.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.access.rules import Reader
from healthbank.access.services import NotReadable, grant_counter_view
from healthbank.audit.models import AccessLog
from healthbank.audit.services import record_access
from healthbank.core import pii
from healthbank.identity.models import Person
from healthbank.passbook.viewing import Viewing, open_viewing

from .choices import ACCESS_CATEGORY, SPLITTABLE, Cut, ExportCategory, ExportFormat
from .collect import collect
from .models import ExportJob
from .package import build_zip, default_password, package_name

log = logging.getLogger(__name__)

PROGRESS_STEP = 20  # points of the progress bar between two writes of the job row
PROGRESS_EVERY = 0.5  # seconds
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_PRINTABLE_ASCII = re.compile(r"^[\x21-\x7e]+$")


class ExportRefused(Exception):
    """A request we refuse, with the field it is about and a message for the person."""

    def __init__(self, field: str, message: str, status: int = 400):
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Selection:
    categories: tuple[str, ...]
    formats: tuple[str, ...]
    cut: str
    months: tuple[dt.date, ...]
    password: str  # "" for the default (the national ID)


def _months_back(today: dt.date) -> dt.date:
    first = today.replace(day=1)
    return first.replace(year=first.year - policy.SPAN_MEDICAL_YEARS)


def clean_selection(
    viewing: Viewing, *, categories, formats, cut: str | None = None, months=None, password: str | None = None
) -> Selection:
    """Check what was asked; ``ExportRefused`` naming the field and the reason for the first thing wrong."""
    categories = [str(c) for c in (categories or [])]
    if not categories:
        raise ExportRefused("categories", _("Tick at least one kind of data to download."))
    unknown = sorted({c for c in categories if c not in ExportCategory.values})
    if unknown:
        raise ExportRefused("categories", _("Unknown kind of data: %(codes)s.") % {"codes": ", ".join(unknown[:5])})
    for category in categories:
        if not viewing.can(ACCESS_CATEGORY[category]):
            raise ExportRefused(
                "categories",
                _("You may not download “%(category)s” of this person.") % {"category": ExportCategory(category).label},
                status=403,
            )
    formats = [str(f) for f in (formats or [])]
    if not formats:
        raise ExportRefused("formats", _("Choose at least one file format."))
    unknown = sorted({f for f in formats if f not in ExportFormat.values})
    if unknown:
        raise ExportRefused("formats", _("Unknown file format: %(codes)s.") % {"codes": ", ".join(unknown[:5])})
    cut = cut or Cut.MERGED
    if cut not in Cut.values:
        raise ExportRefused("cut", _("Choose “merged” or “single months”."))
    chosen_months = _clean_months(viewing, cut, categories, months or [])
    password = password or ""
    if password:
        low, high = policy.DOWNLOAD_PASSWORD_LENGTH
        if not (low <= len(password) <= high) or not _PRINTABLE_ASCII.match(password):
            raise ExportRefused(
                "password",
                _(
                    "A package password has %(low)d to %(high)d letters, digits or symbols "
                    "(no spaces, no Chinese characters)."
                )
                % {"low": low, "high": high},
            )
    ordered = tuple(c for c in ExportCategory.values if c in set(categories))
    ordered_formats = tuple(f for f in ExportFormat.values if f in set(formats))
    return Selection(ordered, ordered_formats, cut, chosen_months, password)


def _clean_months(viewing: Viewing, cut: str, categories, months) -> tuple[dt.date, ...]:
    if not months:
        return ()
    if cut != Cut.MONTHS or not SPLITTABLE & set(categories):
        raise ExportRefused("months", _("Months can be chosen only for outpatient or dental data cut by months."))
    if len(months) > 12 * policy.SPAN_MEDICAL_YEARS + 1:
        raise ExportRefused("months", _("Too many months."))
    first_allowed = _months_back(viewing.today)
    this_month = viewing.today.replace(day=1)
    found = []
    for text in months:
        match = _MONTH.match(str(text))
        day = None
        if match:
            try:
                day = dt.date(int(match[1]), int(match[2]), 1)
            except ValueError:
                day = None
        if day is None:
            raise ExportRefused("months", _("“%(value)s” is not a month like 2026-03.") % {"value": str(text)[:20]})
        if not first_allowed <= day <= this_month:
            raise ExportRefused(
                "months",
                _("%(month)s is outside the %(years)d years the passbook keeps.")
                % {"month": str(text), "years": policy.SPAN_MEDICAL_YEARS},
            )
        found.append(day)
    return tuple(sorted(set(found)))


def _requester(reader: Reader) -> dict:
    if reader.kind == "person":
        return {"requested_by_id": reader.person_id}
    if reader.kind == "operator":
        return {"operator": reader.user}
    raise ExportRefused("reader", _("Only the person, a parent or an operator can produce a package."), status=403)


def _free_slot(person: Person) -> int | None:
    used = set(
        ExportJob.objects.filter(person=person, running_slot__isnull=False).values_list("running_slot", flat=True)
    )
    return next((slot for slot in range(1, policy.DOWNLOAD_RUNNING_MAX + 1) if slot not in used), None)


def request_export(viewing: Viewing, selection: Selection) -> ExportJob:
    """Ask for a package: the job row (waiting, holding a slot) and the task after the commit."""
    if viewing.reader.read_only and viewing.reader.kind == "person":
        raise ExportRefused("reader", _("Packages cannot be produced at a kiosk."), status=403)
    person = viewing.person
    now = timezone.now()
    today = timezone.localdate(now)
    sealed = pii.encrypt(selection.password, settings.NATIONAL_ID_ENCRYPTION_KEY) if selection.password else ""
    for _attempt in range(2 * policy.DOWNLOAD_RUNNING_MAX + 3):
        slot = _free_slot(person)
        if slot is None:
            raise ExportRefused(
                "categories",
                _("%(n)d packages are already in production; wait until one is ready.")
                % {"n": policy.DOWNLOAD_RUNNING_MAX},
                status=429,
            )
        last = ExportJob.objects.filter(person=person, requested_on=today).aggregate(n=Max("sequence"))["n"] or 0
        try:
            with transaction.atomic():
                job = ExportJob.objects.create(
                    person=person,
                    address=viewing.reader.address,
                    categories=list(selection.categories),
                    formats=list(selection.formats),
                    cut=selection.cut,
                    months=[f"{m:%Y-%m}" for m in selection.months],
                    language=viewing.language,
                    running_slot=slot,
                    requested_on=today,
                    sequence=last + 1,
                    file_name=package_name(today, last + 1),
                    own_password=bool(selection.password),
                    sealed_password=sealed,
                    requested_at=now,
                    **_requester(viewing.reader),
                )
        except IntegrityError:
            continue  # someone took that slot or that sequence number a moment ago: look again
        transaction.on_commit(lambda job_id=job.pk: hand_to_worker(job_id))
        return job
    raise ExportRefused("categories", _("Too many requests at once; try again in a moment."), status=429)


def hand_to_worker(job_id) -> None:
    """Queue production; a broker that is away leaves the job waiting for the sweep (never an error page)."""
    from .tasks import produce_export_task

    try:
        produce_export_task.delay(str(job_id))
    except Exception:
        log.warning("export %s: broker unavailable, left waiting for the sweep", job_id)


def _reader_of(job: ExportJob) -> Reader:
    if job.operator_id is not None:
        return Reader.operator(job.operator, address=job.address)
    return Reader("person", person_id=job.requested_by_id, address=job.address)


def storage_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "exports"


def _password_of(job: ExportJob, person: Person) -> str:
    if job.sealed_password:
        return pii.decrypt(job.sealed_password, settings.NATIONAL_ID_ENCRYPTION_KEY)
    return default_password(person.national_id)


def _log_for(reader: Reader, person_id, what: str, detail: str = "") -> None:
    kind = AccessLog.ActorKind.PERSON
    if reader.kind == "person" and reader.person_id != person_id:
        kind = AccessLog.ActorKind.PARENT
    record_access(
        person_id,
        what=what,
        detail=detail,
        actor_kind=kind,
        actor_label=reader.label,
        operator=reader.user if reader.kind == "operator" else None,
        address=reader.address,
    )


def _claim(job_id) -> ExportJob | None:
    """Move a waiting job to running (one worker only, even if the task is delivered twice)."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING, progress=1, produced_at=now
    )
    if not claimed:
        return None
    return ExportJob.objects.select_related("person", "operator").get(pk=job_id)


def _fail(job: ExportJob, reason: str) -> None:
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.FAILED, failure=reason[:200], running_slot=None, sealed_password="", progress=0
    )


def produce_export(job_id) -> ExportJob | None:
    """Produce a waiting package: read through the access rule, write the zip, free the slot. Returns the job."""
    job = _claim(job_id)
    if job is None:
        return None
    reader = _reader_of(job)
    try:
        viewing = open_viewing(reader, job.person_id, job.language)
        snapshot = collect(viewing, job.categories)
    except NotReadable:
        _fail(job, _("You may no longer read this person's data."))
        job.refresh_from_db()
        return job

    told = {"percent": 0, "at": time.monotonic()}

    def tell(percent: int) -> None:
        # A write per file would cost more than the files (a commit each): tell the list every
        # PROGRESS_STEP points or every PROGRESS_EVERY seconds, whichever comes first.
        now = time.monotonic()
        if percent - told["percent"] < PROGRESS_STEP and now - told["at"] < PROGRESS_EVERY:
            return
        told.update(percent=percent, at=now)
        ExportJob.objects.filter(pk=job.pk, progress__lt=percent).update(progress=percent)

    try:
        months = [dt.date(int(m[:4]), int(m[5:7]), 1) for m in job.months]
        content = build_zip(
            snapshot,
            job.formats,
            job.cut,
            _password_of(job, job.person),
            months=months,
            national_id_password=not job.own_password,
            progress=tell,
        )
        folder = storage_dir()
        folder.mkdir(parents=True, exist_ok=True)
        stored_as = f"{job.pk}.zip"
        partial = folder / f"{stored_as}.partial"
        partial.write_bytes(content)
        os.replace(partial, folder / stored_as)
    except Exception:
        log.exception("export %s: production failed", job.pk)
        _fail(job, _("The package could not be produced; please try again."))
        job.refresh_from_db()
        return job
    produced = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.READY,
        progress=100,
        running_slot=None,
        sealed_password="",
        stored_as=stored_as,
        size=len(content),
        record_count=snapshot.record_count(),
        produced_at=produced,
        available_until=produced + policy.DOWNLOAD_KEPT_FOR,
    )
    _log_for(reader, job.person_id, AccessLog.What.DOWNLOAD_PRODUCED)
    job.refresh_from_db()
    return job


def open_download(reader: Reader, person: Person, job_id) -> tuple[ExportJob, Path]:
    """A ready package of ``person`` that ``reader`` asked for; 404 otherwise, 410 once it has expired."""
    try:
        job_uuid = uuid.UUID(str(job_id))
    except ValueError:
        raise NotReadable from None
    jobs = ExportJob.objects.filter(pk=job_uuid, person=person)
    jobs = (
        jobs.filter(operator=reader.user)
        if reader.kind == "operator"
        else jobs.filter(requested_by_id=reader.person_id)
    )
    job = jobs.first()
    if job is None:
        raise NotReadable
    if job.status != ExportJob.Status.READY:
        raise ExportRefused("package", _("This package is not ready yet."), status=409)
    if job.available_until is None or timezone.now() >= job.available_until:
        raise ExportRefused("package", _("This package has expired; produce a new one."), status=410)
    path = storage_dir() / job.stored_as
    if not path.exists():
        raise ExportRefused("package", _("This package has expired; produce a new one."), status=410)
    ExportJob.objects.filter(pk=job.pk).update(downloads=F("downloads") + 1)
    _log_for(reader, person.pk, AccessLog.What.DOWNLOAD_TAKEN)
    return job, path


def sweep_exports(now: dt.datetime | None = None) -> dict[str, int]:
    """Delete packages past their 7 days (file and row) and failed jobs as old; re-send jobs left waiting."""
    now = now or timezone.now()
    expired = list(ExportJob.objects.filter(available_until__lte=now).values_list("pk", "stored_as"))
    old_failures = ExportJob.objects.filter(
        status=ExportJob.Status.FAILED, requested_at__lte=now - policy.DOWNLOAD_KEPT_FOR
    )
    for _pk, stored_as in expired:
        if stored_as:
            (storage_dir() / stored_as).unlink(missing_ok=True)
    deleted = ExportJob.objects.filter(pk__in=[pk for pk, _s in expired]).delete()[0]
    deleted += old_failures.delete()[0]
    waiting = list(
        ExportJob.objects.filter(
            status=ExportJob.Status.QUEUED, requested_at__lte=now - dt.timedelta(minutes=1)
        ).values_list("pk", flat=True)
    )
    for job_id in waiting:
        hand_to_worker(job_id)
    # A worker killed mid-production leaves its job running for ever: give the person their slot back.
    stuck = ExportJob.objects.filter(
        status=ExportJob.Status.RUNNING, produced_at__lte=now - policy.DOWNLOAD_PRODUCTION_TIMEOUT
    ).update(
        status=ExportJob.Status.FAILED,
        failure=_("The package could not be produced; please try again."),
        running_slot=None,
        sealed_password="",
    )
    return {"deleted": deleted, "resent": len(waiting), "stuck": stuck}


def export_at_counter(operator, person: Person, *, document: str, formats, password: str = "", address: str = ""):
    """臨櫃: an operator produces a person's full package after checking an ID document; returns (bytes, name).

    The check is logged as at the counter's passbook view (a short counter grant), every category read is logged
    as the operator's, and so is the production.
    """
    record_access(person.pk, what=AccessLog.What.COUNTER_VIEW, detail=document, operator=operator)
    grant_counter_view(operator, person, document=document)
    reader = Reader.operator(operator, address=address)
    viewing = open_viewing(reader, person.pk, "zh-hant")
    selection = clean_selection(
        viewing, categories=ExportCategory.values, formats=formats, cut=Cut.MERGED, password=password
    )
    snapshot = collect(viewing, selection.categories)
    content = build_zip(
        snapshot,
        selection.formats,
        selection.cut,
        selection.password or default_password(person.national_id),
        national_id_password=not selection.password,
    )
    _log_for(reader, person.pk, AccessLog.What.DOWNLOAD_PRODUCED, detail=document)
    today = timezone.localdate()
    return content, package_name(today, 1)
