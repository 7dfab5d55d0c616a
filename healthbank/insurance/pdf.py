"""The one template layer of the services' PDFs (SPEC §10): certificates, payment slips, e-bills.

WeasyPrint with Debian's Noto CJK fonts, as the health summary (exports/summary.py explains the choices:
the font configuration kept for the process, headings in the regular weight, no CSS columns). Each document
is a template that extends ``insurance/pdf/base.html`` and fills ``title`` and ``body``; tests read the PDF's
text (pdftotext) and, where there is one, decode its QR code or barcodes.
"""

from __future__ import annotations

from functools import cache

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.http import content_disposition_header
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration


@cache
def _fonts() -> FontConfiguration:
    return FontConfiguration()


def document_html(template_name: str, context: dict, *, language: str) -> str:
    """The page WeasyPrint is given, in ``language`` (``zh-hant`` or ``en``)."""
    with translation.override(language):
        return render_to_string(template_name, {**context, "lang": "zh-Hant-TW" if language.startswith("zh") else "en"})


def render_pdf(template_name: str, context: dict, *, language: str) -> bytes:
    """The document as an A4 PDF. Images (QR codes, barcodes) go in as ``data:`` URLs or inline SVG."""
    html = document_html(template_name, context, language=language)
    return HTML(string=html).render(font_config=_fonts()).write_pdf()


def pdf_response(pdf: bytes, file_name: str, *, download: bool = True) -> HttpResponse:
    """The PDF as an answer; a Chinese file name is sent the RFC 6266 way (``filename*=utf-8''...``)."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(download, file_name)
    response["Cache-Control"] = "private, no-store"  # a person's insurance on a shared computer
    return response
