"""``/api/app/v1/passbook/<person id>/downloads`` …: the download service in the app (SPEC §8 and §6.3)."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import BaseModel, Field
from rest_framework import parsers
from rest_framework.response import Response

from healthbank import policy
from healthbank.core.api import ErrorBody, error_response
from healthbank.passbook.api.common import LANGUAGE_PARAMETER, NO_TOKEN, NOT_FOUND, PERSON_PARAMETER, PassbookEndpoint

from . import selectors, services
from .choices import Cut, ExportCategory, ExportFormat

JOB_PARAMETER = OpenApiParameter("job_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="the package's id")
TAGS = ["app downloads"]
_JOB = {
    "id": "01a23eb2-2b21-7f0f-aade-f34289a11944",
    "file_name": "健康存摺_1151203_1.zip",
    "status": "ready",
    "status_label": "可下載",
    "progress": 100,
    "failure": "",
    "requested_at": "2026-12-03T09:30:00+08:00",
    "produced_at": "2026-12-03T09:30:01+08:00",
    "available_until": "2026-12-10T09:30:01+08:00",
    "size": 161090,
    "record_count": 1285,
    "categories": ["西醫門診就醫紀錄", "檢驗(查)結果"],
    "formats": ["html", "json"],
    "cut": "merged",
    "own_password": False,
}
_EXPIRED = OpenApiExample(
    "expired",
    value={"errors": {"package": ["This package has expired; produce a new one."]}},
    response_only=True,
    status_codes=["410"],
)
_NOT_FOUND = OpenApiExample(
    "not this reader's",
    value={"errors": {"request": ["Not found."]}},
    response_only=True,
    status_codes=["404"],
)


class JobOut(BaseModel):
    id: str
    file_name: str = Field(description="健康存摺_<ROC date YYYMMDD>_<n>.zip")
    status: str = Field(description="queued, running, ready, failed or expired")
    status_label: str
    progress: int = Field(description="0–100")
    failure: str = Field(description="why production failed, for the person; empty otherwise")
    requested_at: str
    produced_at: str | None
    available_until: str | None = Field(description="downloadable until (ISO, Taiwan time); 7 days after production")
    size: int | None = Field(description="bytes")
    record_count: int | None
    categories: list[str]
    formats: list[str]
    cut: str
    own_password: bool = Field(description="false: the password is the national ID with an upper-case first letter")


class JobsOut(BaseModel):
    packages: list[JobOut] = Field(description="newest first")
    categories: list[str] = Field(description="the categories this reader may put in a package")
    running_max: int = Field(description="packages one person may have in production at once")


class JobIn(BaseModel):
    categories: list[str] = Field(description=f"any of: {', '.join(ExportCategory.values)}")
    formats: list[str] = Field(description=f"any of: {', '.join(ExportFormat.values)}")
    cut: str = Field(Cut.MERGED, description="merged, or months: outpatient and dental one file a month")
    months: list[str] = Field(default_factory=list, description="YYYY-MM, with cut=months only; empty: every month")
    password: str = Field("", description="8–64 printable ASCII characters; empty: the national ID")


class ImportOut(BaseModel):
    id: str
    file_name: str
    imported: int
    skipped: int
    report: dict = Field(description="per section: imported, skipped and why")


def _job_json(row: dict) -> dict:
    def iso(value):
        return value.isoformat() if value is not None else None

    return {
        "id": str(row["id"]),
        "file_name": row["file_name"],
        "status": row["status"],
        "status_label": str(row["status_label"]),
        "progress": row["progress"],
        "failure": str(row["failure"]),
        "requested_at": iso(row["requested_at"]),
        "produced_at": iso(row["produced_at"]),
        "available_until": iso(row["available_until"]),
        "size": row["size"],
        "record_count": row["record_count"],
        "categories": [str(c) for c in row["categories"]],
        "formats": row["formats"],
        "cut": row["cut"],
        "own_password": row["own_password"],
    }


class DownloadEndpoint(PassbookEndpoint):
    def handle_exception(self, exc):
        if isinstance(exc, services.ExportRefused):
            return error_response(exc.status, exc.field, exc.message)
        return super().handle_exception(exc)


class JobsView(DownloadEndpoint):
    @extend_schema(
        operation_id="app_downloads",
        summary="The production list: the packages this reader asked for, newest first",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: JobsOut, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[
            OpenApiExample(
                "one package ready",
                value={"packages": [_JOB], "categories": ["outpatient", "labs"], "running_max": 2},
                response_only=True,
            )
        ],
        tags=TAGS,
    )
    def get(self, request, person_id):
        viewing = self.viewing(request, person_id)
        categories = [item["value"] for group in selectors.category_groups(viewing) for item in group["items"]]
        return Response(
            {
                "packages": [_job_json(row) for row in selectors.jobs_for(viewing)],
                "categories": categories,
                "running_max": policy.DOWNLOAD_RUNNING_MAX,
            }
        )

    @extend_schema(
        operation_id="app_downloads_produce",
        summary="Produce a package (an AES-256 zip); watch it in the production list",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        request=JobIn,
        responses={
            202: JobOut,
            400: OpenApiResponse(ErrorBody, "an unknown or empty category or format list, a bad month or password"),
            401: NO_TOKEN,
            403: OpenApiResponse(ErrorBody, "a category this reader may not read"),
            404: NOT_FOUND,
            429: OpenApiResponse(ErrorBody, "already the most packages in production at once"),
        },
        examples=[
            OpenApiExample(
                "labs and visits as My Health Bank JSON and FHIR",
                value={"categories": ["outpatient", "labs"], "formats": ["json", "fhir"], "cut": "merged"},
                request_only=True,
            )
        ],
        tags=TAGS,
    )
    def post(self, request, person_id):
        viewing = self.viewing(request, person_id)
        data = request.data if isinstance(request.data, dict) else {}
        if not isinstance(request.data, dict):
            return error_response(400, "body", _("The body is an object with categories and formats."))
        for name in ("categories", "formats", "months"):
            if name in data and not (
                isinstance(data[name], list) and all(isinstance(v, str) and len(v) <= 40 for v in data[name])
            ):
                return error_response(400, name, _("A list of codes."))
        for name in ("cut", "password"):
            if name in data and not isinstance(data[name], str):
                return error_response(400, name, _("Text."))
        selection = services.clean_selection(
            viewing,
            categories=data.get("categories"),
            formats=data.get("formats"),
            cut=data.get("cut"),
            months=data.get("months"),
            password=data.get("password"),
        )
        job = services.request_export(viewing, selection)
        job.refresh_from_db()
        return Response(_job_json(selectors.job_row(job)), status=202)


class JobView(DownloadEndpoint):
    @extend_schema(
        operation_id="app_download",
        summary="One package: status and progress while it is produced",
        parameters=[PERSON_PARAMETER, JOB_PARAMETER, LANGUAGE_PARAMETER],
        responses={200: JobOut, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[
            OpenApiExample(
                "in production",
                value=_JOB | {"status": "running", "status_label": "產製中", "progress": 40, "produced_at": None},
                response_only=True,
            )
        ],
        tags=TAGS,
    )
    def get(self, request, person_id, job_id):
        viewing = self.viewing(request, person_id)
        return Response(_job_json(selectors.job_row(selectors.job_for(viewing, job_id))))


class JobFileView(DownloadEndpoint):
    @extend_schema(
        operation_id="app_download_file",
        summary="The package itself (application/zip, AES-256)",
        parameters=[PERSON_PARAMETER, JOB_PARAMETER, LANGUAGE_PARAMETER],
        responses={
            (200, "application/zip"): OpenApiTypes.BINARY,
            401: NO_TOKEN,
            404: NOT_FOUND,
            409: OpenApiResponse(ErrorBody, "not ready yet"),
            410: OpenApiResponse(ErrorBody, "expired (kept 7 days)"),
        },
        examples=[_EXPIRED],
        tags=TAGS,
    )
    def get(self, request, person_id, job_id):
        viewing = self.viewing(request, person_id)
        job, stored = services.open_download(viewing.reader, viewing.person, job_id)
        return FileResponse(
            stored.open("rb"), as_attachment=True, filename=job.file_name, content_type="application/zip"
        )


class ImportView(DownloadEndpoint):
    parser_classes = [parsers.MultiPartParser]

    @extend_schema(
        operation_id="app_import",
        summary="Import a My Health Bank download (JSON or XML, bare or zipped) into this passbook",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}, "password": {"type": "string"}},
                "required": ["file"],
            }
        },
        responses={
            201: ImportOut,
            400: OpenApiResponse(ErrorBody, "not a My Health Bank file, a wrong password, another person's file"),
            401: NO_TOKEN,
            403: OpenApiResponse(ErrorBody, "this reader may read but not import"),
            404: NOT_FOUND,
            413: OpenApiResponse(ErrorBody, "larger than the import limit"),
        },
        examples=[
            OpenApiExample(
                "a real download",
                value={
                    "id": "01a23eb2-2b21-7f0f-aade-f34289a11945",
                    "file_name": "健康存摺醫療類_20250301.json",
                    "imported": 5,
                    "skipped": 0,
                    "report": {"r1": {"imported": 2, "skipped": 0, "skips": []}},
                },
                response_only=True,
                status_codes=["201"],
            )
        ],
        tags=TAGS,
    )
    def post(self, request, person_id):
        from . import importer

        viewing = self.viewing(request, person_id)
        if not viewing.may_write:
            return error_response(403, "request", _("Only the person or their parent can import."))
        if _too_large(request):  # before the body is read at all
            return _too_large_answer()
        upload = request.FILES.get("file")
        if upload is None:
            return error_response(400, "file", _("Choose the file to import."))
        if upload.size > policy.IMPORT_MAX_UPLOAD_BYTES:
            return _too_large_answer()
        password = request.data.get("password") or None
        try:
            run = importer.import_download(
                viewing.person,
                upload.read(),
                upload.name or "",
                password if isinstance(password, str) else None,
                requested_by=request.auth.person,
                operator=None,
            )
        except importer.ImportRefused as refused:
            return error_response(400, refused.field, str(refused.reason))
        row = selectors.import_row(run)
        return Response(
            {
                "id": str(row["id"]),
                "file_name": row["file_name"],
                "imported": row["imported"],
                "skipped": row["skipped"],
                "report": row["report"],
            },
            status=201,
        )


def _too_large(request) -> bool:
    """Declared larger than an import may be, or a body that is not a file upload and larger than any JSON body."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data")
    limit = policy.IMPORT_MAX_UPLOAD_BYTES + 64 * 1024 if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return length > limit


def _too_large_answer():
    return error_response(
        413,
        "file",
        _("The file is larger than %(mb)d MB; a real download is far smaller.")
        % {"mb": policy.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)},
    )


class SummaryPdfView(PassbookEndpoint):
    @extend_schema(
        operation_id="app_doctor_summary",
        summary="The one-page summary for the doctor (PDF): conditions, medications, allergies, labs, vaccinations",
        parameters=[PERSON_PARAMETER, LANGUAGE_PARAMETER],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 401: NO_TOKEN, 404: NOT_FOUND},
        examples=[_NOT_FOUND],
        tags=TAGS,
    )
    def get(self, request, person_id):
        from . import summary

        viewing = self.viewing(request, person_id)
        response = HttpResponse(summary.summary_pdf(viewing), content_type="application/pdf")
        response["Content-Disposition"] = "inline"
        return response


routes = [
    path("downloads", JobsView.as_view(), name="app-downloads"),
    path("downloads/<uuid:job_id>", JobView.as_view(), name="app-download"),
    path("downloads/<uuid:job_id>/file", JobFileView.as_view(), name="app-download-file"),
    path("imports", ImportView.as_view(), name="app-import"),
    path("doctor-summary.pdf", SummaryPdfView.as_view(), name="app-doctor-summary"),
]
