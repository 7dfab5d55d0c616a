"""The download page (SPEC §8): tick, produce, watch the production list, download; and import a download.

``/passbook/<person id>/download/`` in the passbook's shell. Rows of packages in production poll their own
row (htmx, once a second) until they are ready; nothing else on the page reloads.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import FileResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.passbook.views.common import passbook_page

from . import selectors, services
from .choices import Cut, ExportFormat


def _month_choices(today: dt.date) -> list[dict]:
    first = today.replace(day=1)
    months = []
    for back in range(12 * policy.SPAN_MEDICAL_YEARS + 1):
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        months.append(dt.date(year, month + 1, 1))
    return [{"value": f"{m:%Y-%m}", "date": m} for m in months]


def page_context(viewing, *, asked=None, error=None, import_error=None, import_report=None) -> dict:
    asked = asked or {}
    return {
        "title": _("Download my data"),
        "groups": selectors.category_groups(viewing),
        "formats": ExportFormat.choices,
        "cuts": Cut.choices,
        "months": _month_choices(viewing.today),
        "asked_categories": set(asked.get("categories", [])),
        "asked_formats": set(asked.get("formats", [ExportFormat.HTML, ExportFormat.MYHEALTHBANK_JSON])),
        "asked_cut": asked.get("cut", Cut.MERGED),
        "asked_months": set(asked.get("months", [])),
        "own_password": bool(asked.get("own_password")),
        "error": error,
        "jobs": selectors.jobs_for(viewing),
        "kept_days": policy.DOWNLOAD_KEPT_FOR.days,
        "running_max": policy.DOWNLOAD_RUNNING_MAX,
        "may_produce": not viewing.reader.read_only,
        "imports": selectors.imports_for(viewing),
        "import_error": import_error,
        "import_report": import_report,
        "import_max_mb": policy.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024),
    }


@passbook_page
def download(request, viewing):
    if request.method == "POST":
        asked = {
            "categories": request.POST.getlist("categories"),
            "formats": request.POST.getlist("formats"),
            "cut": request.POST.get("cut") or Cut.MERGED,
            "months": request.POST.getlist("months"),
            "own_password": request.POST.get("password_choice") == "own",
        }
        password = request.POST.get("password", "") if asked["own_password"] else ""
        try:
            if asked["own_password"] and not password:
                raise services.ExportRefused("password", _("Type the password you want, or use your national ID."))
            if password != request.POST.get("password_again", "") and asked["own_password"]:
                raise services.ExportRefused("password", _("The two passwords differ."))
            selection = services.clean_selection(
                viewing,
                categories=asked["categories"],
                formats=asked["formats"],
                cut=asked["cut"],
                months=asked["months"],
                password=password,
            )
            job = services.request_export(viewing, selection)
        except services.ExportRefused as refused:
            context = page_context(viewing, asked=asked, error={"field": refused.field, "message": refused.message})
            return "exports/download.html", context, refused.status
        messages.success(request, _("Your package %(name)s is being produced.") % {"name": job.file_name})
        return redirect("exports:download", viewing.person.pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    return "exports/download.html", page_context(viewing)


@passbook_page
def job_row(request, viewing, job_id):
    """One row of the production list (what the page polls while a package is produced)."""
    job = selectors.job_for(viewing, job_id)
    return render(request, "exports/_job_row.html", {"job": selectors.job_row(job), "whose": viewing.person})


@passbook_page
def job_file(request, viewing, job_id):
    try:
        job, stored = services.open_download(viewing.reader, viewing.person, job_id)
    except services.ExportRefused as refused:
        messages.error(request, refused.message)
        return "exports/download.html", page_context(viewing), refused.status
    return FileResponse(stored.open("rb"), as_attachment=True, filename=job.file_name, content_type="application/zip")


@passbook_page
def upload(request, viewing):
    """Import a My Health Bank download (JSON or XML, bare or zipped) into this passbook."""
    from . import importer

    if request.method != "POST":
        return redirect("exports:download", viewing.person.pk)
    if viewing.reader.read_only or not viewing.may_write:
        return (
            "exports/download.html",
            page_context(
                viewing, import_error={"field": "file", "message": _("Only the person or their parent can import.")}
            ),
            403,
        )
    too_big = _declared_length(request) > policy.IMPORT_MAX_UPLOAD_BYTES + 64 * 1024
    upload = None if too_big else request.FILES.get("file")
    try:
        if too_big or (upload is not None and upload.size > policy.IMPORT_MAX_UPLOAD_BYTES):
            raise importer.ImportRefused(
                "file",
                _("The file is larger than %(mb)d MB; a real download is far smaller.")
                % {"mb": policy.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)},
            )
        if upload is None:
            raise importer.ImportRefused("file", _("Choose the file to import."))
        run = importer.import_download(
            viewing.person,
            upload.read(),
            upload.name or "",
            request.POST.get("password") or None,
            requested_by=_requester_person(viewing),
            operator=None,
        )
    except importer.ImportRefused as refused:
        error = {"field": refused.field, "message": str(refused.reason)}
        status = 413 if too_big else 400
        return "exports/download.html", page_context(viewing, import_error=error), status
    messages.success(
        request,
        _("Imported %(imported)d records, skipped %(skipped)d.") % {"imported": run.imported, "skipped": run.skipped},
    )
    return "exports/download.html", page_context(viewing, import_report=selectors.import_row(run))


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _requester_person(viewing):
    from healthbank.identity.models import Person

    return Person.objects.filter(pk=viewing.reader.person_id).first() if viewing.reader.kind == "person" else None


routes = [
    path("download/", download, name="download"),
    path("download/import/", upload, name="import"),
    path("download/<uuid:job_id>/", job_row, name="job"),
    path("download/<uuid:job_id>/file", job_file, name="file"),
]
