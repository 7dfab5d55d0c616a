"""The doctor summary as a passbook page and as a one-page PDF (``summary.py`` draws both up).

Both go through the passbook's ``passbook_page``: log in first, 404 when the passbook is not the reader's to
read, every category read is in the person's access log. URL names: ``summary`` and ``summary-pdf``, each
taking ``person_id`` (in the ``exports`` namespace, or ``passbook`` where the lead wires them there).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from healthbank.passbook.views.common import passbook_page

from . import summary

URL_NAMESPACES = ("exports", "passbook")


def pdf_url(person_id) -> str:
    """Where the PDF of ``person_id`` is served, whichever namespace the URLs were wired in."""
    for namespace in URL_NAMESPACES:
        try:
            return reverse(f"{namespace}:summary-pdf", args=[person_id])
        except NoReverseMatch:
            continue
    return ""


@passbook_page
def doctor_summary(request, viewing):
    """The summary in the passbook's shell, with a link to its PDF."""
    data = summary.summary_data(viewing)
    return "exports/summary/page.html", {**data, "title": _("Health summary"), "pdf_url": pdf_url(viewing.person.pk)}


@passbook_page
def doctor_summary_pdf(request, viewing):
    """The summary as a one-page A4 PDF, downloaded as ``健康摘要_<ROC date>.pdf``."""
    response = HttpResponse(summary.summary_pdf(viewing), content_type="application/pdf")
    # Django writes the RFC 5987 form (filename*=utf-8''…) for a name that is not ASCII.
    response["Content-Disposition"] = content_disposition_header(True, summary.file_name(viewing))
    response["Cache-Control"] = "private, no-store"
    return response
