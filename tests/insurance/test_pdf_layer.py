"""The services' PDF layer draws Chinese and English text that a reader can extract (SPEC §10)."""

from __future__ import annotations

import io

from pypdf import PdfReader

from healthbank.insurance import pdf


def pdf_text(data: bytes) -> str:
    """The text a reader (or a screen reader) extracts from the PDF, all pages."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_document_names_the_issuer_in_its_language():
    data = pdf.render_pdf("insurance/pdf/base.html", {}, language="zh-hant")
    assert data.startswith(b"%PDF")
    assert "衛生福利部中央健康保險署" in pdf_text(data).replace(" ", "")
    english = pdf.render_pdf("insurance/pdf/base.html", {}, language="en")
    assert "National Health Insurance Administration" in pdf_text(english)


def test_a_chinese_file_name_survives_the_download_header():
    response = pdf.pdf_response(b"%PDF-1.7", "投保證明_1151204.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert "filename*=utf-8''%E6%8A%95%E4%BF%9D" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
