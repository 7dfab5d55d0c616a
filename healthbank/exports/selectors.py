"""Reads of the download page: which categories this reader may tick, their packages and imports."""

from __future__ import annotations

import uuid

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from healthbank.access.services import NotReadable

from .choices import ACCESS_CATEGORY, ExportCategory
from .models import ExportJob, ImportRun

C = ExportCategory

# The download page's groups, in the order of SPEC §6.1 and the seed's download screen.
GROUPS = (
    (_("Insurance"), (C.INSURANCE, C.CARDS, C.PREMIUM_CALCULATIONS, C.PREMIUM_PAYMENTS)),
    (
        _("Medical"),
        (
            C.OUTPATIENT,
            C.DENTAL,
            C.CHINESE_MEDICINE,
            C.INPATIENT,
            C.LABS,
            C.IMAGING_PATHOLOGY,
            C.DISCHARGE_SUMMARIES,
            C.ALLERGIES,
            C.CARE_WISHES,
        ),
    ),
    (_("From other agencies"), (C.VACCINATIONS, C.PREVENTIVE_CARE)),
    (_("Screening and follow-up care"), (C.CANCER_SCREENING, C.DIABETES, C.CKD_EARLY, C.HEPATITIS)),
    (_("My own records"), (C.MEASUREMENTS, C.CALENDAR)),
)


def category_groups(viewing) -> list[dict]:
    """The tick boxes: every category the reader may read of this person, grouped."""
    groups = []
    for label, categories in GROUPS:
        items = [
            {"value": c.value, "label": c.label, "splittable": c in (C.OUTPATIENT, C.DENTAL)}
            for c in categories
            if viewing.can(ACCESS_CATEGORY[c])
        ]
        if items:
            groups.append({"label": label, "items": items})
    return groups


def _mine(viewing):
    """Packages of the viewing's person that this reader asked for (a parent's and the person's stay apart)."""
    jobs = ExportJob.objects.filter(person=viewing.person)
    if viewing.reader.kind == "operator":
        return jobs.filter(operator=viewing.reader.user)
    return jobs.filter(requested_by_id=viewing.reader.person_id)


def job_row(job: ExportJob) -> dict:
    now = timezone.now()
    expired = job.available_until is not None and now >= job.available_until
    return {
        "id": job.pk,
        "file_name": job.file_name,
        "status": "expired" if expired else job.status,
        "status_label": _("Expired") if expired else ExportJob.Status(job.status).label,
        "progress": job.progress,
        "running": job.status in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING),
        "ready": job.status == ExportJob.Status.READY and not expired,
        "failure": job.failure,
        "requested_at": job.requested_at,
        "produced_at": job.produced_at if job.status == ExportJob.Status.READY else None,
        "available_from": job.produced_at if job.status == ExportJob.Status.READY else None,
        "available_until": job.available_until,
        "size": job.size,
        "record_count": job.record_count,
        "categories": [str(C(c).label) for c in job.categories if c in C.values],
        "categories_text": _categories_text(job.categories),
        "formats": list(job.formats),
        "cut": job.cut,
        "own_password": job.own_password,
    }


def _categories_text(codes: list[str]) -> str:
    """What a package holds, short enough for a phone: every kind, or the first three and how many more."""
    labels = [str(C(c).label) for c in codes if c in C.values]
    if len(labels) == len(C.values):
        return str(_("Every kind of data"))
    if len(labels) > SHOWN_CATEGORIES:
        more = len(labels) - SHOWN_CATEGORIES
        return _list_separator().join(labels[:SHOWN_CATEGORIES]) + " " + str(_("and %(n)d more") % {"n": more})
    return _list_separator().join(labels)


SHOWN_CATEGORIES = 3


def _list_separator() -> str:
    return "、" if (translation.get_language() or "").startswith("zh") else ", "


def jobs_for(viewing) -> list[dict]:
    return [job_row(job) for job in _mine(viewing)[:50]]


def job_for(viewing, job_id) -> ExportJob:
    try:
        job_uuid = uuid.UUID(str(job_id))
    except ValueError:
        raise NotReadable from None
    job = _mine(viewing).filter(pk=job_uuid).first()
    if job is None:
        raise NotReadable
    return job


def import_row(run: ImportRun) -> dict:
    from .importer import describe

    return {
        "id": run.pk,
        "file_name": run.file_name,
        "imported_at": run.imported_at,
        "imported": run.imported,
        "skipped": run.skipped,
        "report": run.report,
        "lines": describe(run.report),
    }


def imports_for(viewing) -> list[dict]:
    return [import_row(run) for run in ImportRun.objects.filter(person=viewing.person)[:20]]
