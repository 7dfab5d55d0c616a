"""The package itself: which files a selection makes, and the AES-256 zip that holds them (SPEC §8).

Layout inside ``健康存摺_<ROC date>_<n>.zip``::

    README.txt                              what is inside and how to open it, in Chinese and English
    index.html                              a table of contents (when HTML is chosen)
    html/<category>[_<YYYY-MM>].html        one self-contained page per category (or category and month)
    myhealthbank/健康存摺醫療類_<YYYYMMDD>.json / .xml   the NHI's "14 in 1" download format (one file)
    fhir/<category>[_<YYYY-MM>].json        a FHIR R4 Bundle (Taiwan Core) per category (or category and month)
    calendar/calendar.ics                   the health calendar's reminders, for a phone's calendar

The My Health Bank file stays one file because that is the format's definition (§一 of the NHI document, "14 合
1"): an app written against real downloads opens exactly one. The per-month cut applies to HTML and FHIR.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass

import pyzipper
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from healthbank.core.rocdate import format_roc_compact

from .choices import MYHEALTHBANK_SECTIONS, SPLITTABLE, Cut, ExportCategory, ExportFormat
from .collect import Snapshot

_MEDICAL = frozenset(MYHEALTHBANK_SECTIONS.values())


def package_name(day: dt.date, sequence: int) -> str:
    """``健康存摺_1151203_1.zip``: the ROC date the package was asked for and the person's n-th that day."""
    return f"健康存摺_{format_roc_compact(day)}_{sequence}.zip"


def default_password(national_id: str) -> str:
    """The national ID with an upper-case first letter (SPEC §8)."""
    return national_id[:1].upper() + national_id[1:]


@dataclass(frozen=True)
class PlannedFile:
    path: str
    label: str
    make: Callable[[], bytes]


def _month_suffix(month: dt.date | None) -> str:
    return "" if month is None else f"_{month:%Y-%m}"


def _cuts(snapshot: Snapshot, category: str, cut: str, months: list[dt.date] | None) -> list[dt.date | None]:
    if cut != Cut.MONTHS or category not in SPLITTABLE:
        return [None]
    found = snapshot.months(category)
    if months:
        found = [m for m in found if m in set(months)]
    return found or [None]


def plan(snapshot: Snapshot, formats, cut: str, months: list[dt.date] | None = None) -> list[PlannedFile]:
    """Every file the package will hold, in order, each with the function that writes it."""
    from .writers import fhir, html, myhealthbank

    files: list[PlannedFile] = []
    categories = snapshot.categories
    for category in categories:
        label = str(ExportCategory(category).label)
        for month in _cuts(snapshot, category, cut, months):
            suffix = _month_suffix(month)
            if ExportFormat.HTML in formats:
                files.append(
                    PlannedFile(
                        f"html/{category}{suffix}.html",
                        label,
                        lambda c=category, m=month: html.category_html(snapshot, c, m),
                    )
                )
            if ExportFormat.FHIR in formats and category != ExportCategory.CALENDAR:
                files.append(
                    PlannedFile(
                        f"fhir/{category}{suffix}.json",
                        label,
                        lambda c=category, m=month: _fhir_bytes(fhir, snapshot, c, m),
                    )
                )
    if ExportCategory.CALENDAR in categories:
        from healthbank.passbook.selectors.calendar import ics

        files.append(
            PlannedFile("calendar/calendar.ics", str(ExportCategory.CALENDAR.label), lambda: ics(snapshot.viewing))
        )
    if _MEDICAL & set(categories) and ({ExportFormat.MYHEALTHBANK_JSON, ExportFormat.MYHEALTHBANK_XML} & set(formats)):
        document = {}

        def the_document():
            if not document:
                document["doc"] = myhealthbank.document(snapshot)
            return document["doc"]

        day = timezone.localdate(snapshot.made_at)
        label = _("My Health Bank download format")
        if ExportFormat.MYHEALTHBANK_JSON in formats:
            files.append(
                PlannedFile(
                    f"myhealthbank/{myhealthbank.file_name(day, 'json')}",
                    label,
                    lambda: myhealthbank.to_json(the_document()),
                )
            )
        if ExportFormat.MYHEALTHBANK_XML in formats:
            files.append(
                PlannedFile(
                    f"myhealthbank/{myhealthbank.file_name(day, 'xml')}",
                    label,
                    lambda: myhealthbank.to_xml(the_document()),
                )
            )
    return files


def _fhir_bytes(fhir, snapshot: Snapshot, category: str, month: dt.date | None) -> bytes | None:
    """None for a category without a FHIR form: the package then simply has no such file."""
    bundle = fhir.bundle(snapshot, category, month)
    return None if bundle is None else fhir.to_json(bundle)


def _readme(snapshot: Snapshot, written: list[PlannedFile], national_id_password: bool) -> bytes:
    lines = [
        "健康存摺下載 My Health Bank download",
        "",
        f"產製時間 Produced at: {timezone.localtime(snapshot.made_at):%Y-%m-%d %H:%M} (Asia/Taipei)",
        f"對象 Whose data: {snapshot.person.masked_name} {snapshot.person.national_id_masked}",
        "",
    ]
    if national_id_password:
        lines += ["密碼：身分證號，第一個英文字母大寫。 Password: the national ID with an upper-case first letter.", ""]
    lines += [
        "index.html                 目錄 Table of contents (HTML)",
        "html/                      可閱讀、可列印的網頁 Readable, printable pages",
        "myhealthbank/              健保署健康存摺 JSON / XML 下載格式 The NHI's My Health Bank download format",
        "fhir/                      FHIR R4 (TW Core) Bundle, 供其他健康 App 匯入 for other health apps",
        "calendar/calendar.ics      健康行事曆 Health calendar (iCalendar)",
        "",
        "資料可能延遲 24 至 48 小時且不完整；資料有誤請洽就醫的醫事機構"
        "（疫苗請洽疾管署，預防保健與癌症篩檢請洽國健署）。",
        "Data may lag 24-48 hours and be incomplete; about wrong data contact the institution that recorded it"
        " (the CDC for vaccinations, the HPA for preventive care and cancer screening).",
        "",
        "檔案 Files:",
    ]
    lines += [f"  {f.path}" for f in written]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def build_zip(
    snapshot: Snapshot,
    formats,
    cut: str,
    password: str,
    *,
    months: list[dt.date] | None = None,
    national_id_password: bool = True,
    progress: Callable[[int], None] | None = None,
) -> bytes:
    """The encrypted package (AES-256, WinZip AE-2, as 7-Zip and pyzipper read it) as bytes.

    ``progress`` is told the percentage done after each file (0–99; the caller says 100 when it is stored).
    """
    with translation.override(snapshot.viewing.language):
        planned = plan(snapshot, formats, cut, months)
        written: list[PlannedFile] = []
        buffer = io.BytesIO()
        with pyzipper.AESZipFile(buffer, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES) as archive:
            archive.setpassword(password.encode("utf-8"))
            archive.setencryption(pyzipper.WZ_AES, nbits=256)
            stamp = timezone.localtime(snapshot.made_at).timetuple()[:6]
            contents: list[tuple[PlannedFile, bytes]] = []
            for done, planned_file in enumerate(planned, start=1):
                content = planned_file.make()
                if content is not None:
                    contents.append((planned_file, content))
                    written.append(planned_file)
                if progress is not None:
                    progress(min(99, done * 95 // max(1, len(planned))))
            if ExportFormat.HTML in formats:
                from .writers import html

                index = html.index_html(snapshot, [(f.path, f.label) for f in written if f.path.startswith("html/")])
                contents.insert(0, (PlannedFile("index.html", "", lambda: b""), index))
            contents.insert(
                0, (PlannedFile("README.txt", "", lambda: b""), _readme(snapshot, written, national_id_password))
            )
            for planned_file, content in contents:
                info = archive.zipinfo_cls(planned_file.path, date_time=stamp)
                info.compress_type = pyzipper.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, content)
        return buffer.getvalue()
