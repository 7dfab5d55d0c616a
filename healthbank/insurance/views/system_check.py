"""環境檢測 — the system check the seed asks for before the first login with the NHI card (public, no login).

The page checks in the browser (``static/healthbank/system-check.js``): the browser itself (JavaScript, cookies,
a modern browser), the card agent on this computer (``settings.CARD_AGENT_URL``, ``GET /status``), the card
reader behind it and the card in it (``GET /card``). It says what is wrong in plain words and links to the
agent's download and README, which are served from the ``cardagent/`` folder of this HealthBank.
"""

from __future__ import annotations

import functools
import io
import zipfile

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

AGENT_FILES = ("README.md", "__init__.py", "__main__.py", "certificate.py", "nhicard.py", "proof.py", "server.py",
               "sources.py")  # fmt: skip


def _agent_dir():
    return settings.BASE_DIR / "cardagent"


@require_safe
def system_check(request):
    return render(
        request,
        "insurance/system_check.html",
        {"title": _("System check"), "agent_url": settings.CARD_AGENT_URL},
    )


@functools.cache
def _agent_zip() -> bytes:
    """The card agent as a zip to unpack and run with ``python -m cardagent`` (made once per process)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in AGENT_FILES:
            archive.write(_agent_dir() / name, f"cardagent/{name}")
    return buffer.getvalue()


@require_safe
def agent_download(request):
    response = HttpResponse(_agent_zip(), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="healthbank-cardagent.zip"'
    return response


@require_safe
def agent_readme(request):
    text = (_agent_dir() / "README.md").read_text(encoding="utf-8")
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return response


routes = [
    path("system-check/", system_check, name="system-check"),
    path("system-check/healthbank-cardagent.zip", agent_download, name="agent-download"),
    path("system-check/cardagent-README.md", agent_readme, name="agent-readme"),
]
