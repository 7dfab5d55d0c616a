"""The app's shell and what makes it installable. Nothing here reads a person's data: the app fetches that from
the app API with its token, and the service worker keeps only these files (never an API answer)."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from csp.constants import SELF
from csp.decorators import csp_update
from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.i18n import JavaScriptCatalog

from healthbank import policy

# The app's own files and the shared pieces it loads (Chart.js and the web's chart drawing, the QR decoder).
APP_FILES = (
    "healthbank/app/app.css",
    "healthbank/app/main.js",
    "healthbank/app/core.js",
    "healthbank/app/api.js",
    "healthbank/app/ui.js",
    "healthbank/app/scanner.js",
    "healthbank/app/screens/device.js",
    "healthbank/app/screens/account.js",
    "healthbank/app/screens/passbook.js",
    "healthbank/app/screens/passbook-kit.js",
    "healthbank/app/screens/passbook-care.js",
    "healthbank/app/screens/passbook-health.js",
    "healthbank/app/screens/passbook-insurance.js",
    "healthbank/app/screens/vcard.js",
    "healthbank/app/icon-192.png",
    "healthbank/app/icon-512.png",
    "healthbank/app/icon-maskable-512.png",
    "vendor/chartjs/chart.umd.js",
    "healthbank/passbook-charts.js",
    "vendor/jsqr/jsQR.js",
)
# The passbook's diagrams without anyone's marks (the app marks them from the API's counts): kept with the shell.
DIAGRAMS = ("teeth", "body-M", "body-F")
THEME_COLOUR = "#0b6e4f"  # the site's header colour (site.css)
LANGUAGES = ("zh-hant", "en")


def _both_names(name: str) -> list[str]:
    """A file by its static URL (hashed in production) and by its plain name: the modules import one another by
    plain relative names, so the service worker keeps both."""
    return list(dict.fromkeys([static(name), settings.STATIC_URL + name]))


@lru_cache(maxsize=1)
def shell_version() -> str:
    """Changes whenever a file of the shell changes, so an installed app drops its old copy."""
    digest = hashlib.sha256()
    for name in APP_FILES:
        path = finders.find(name)
        digest.update(name.encode())
        if path:
            with open(path, "rb") as handle:
                digest.update(handle.read())
    for language in ("zh_Hant", "en"):
        mo = settings.LOCALE_PATHS[0] / language / "LC_MESSAGES" / "djangojs.mo"
        if mo.exists():
            digest.update(mo.read_bytes())
    return digest.hexdigest()[:16]


def _no_cache(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-cache"  # always asked again when online; the service worker answers offline
    return response


@require_safe
@csp_update({"img-src": [SELF, "blob:", "data:"], "worker-src": [SELF], "manifest-src": [SELF]})
def shell(request):
    """The one page of the app: everything else is drawn by its scripts from the app API."""
    context = {
        "files": {name.rsplit("/", 1)[-1].split(".")[0].replace("-", "_"): static(name) for name in APP_FILES},
        "config": {
            "api": "/api/app/v1/",
            "catalogs": {language: reverse("mobile:catalog", args=[language]) for language in LANGUAGES},
            "serviceWorker": reverse("mobile:service-worker"),
            "scope": reverse("mobile:shell"),
            "idleLockSeconds": int(policy.APP_IDLE_LOCK_AFTER.total_seconds()),
            "deviceCodeLength": policy.DEVICE_CODE_LENGTH,
            "deviceCodeAlphabet": policy.DEVICE_CODE_ALPHABET,
            "delegationCodeAlphabet": policy.VCARD_DELEGATION_CODE_ALPHABET,
            "cardLastDigits": policy.CARD_LAST_DIGITS_FOR_PHONE_CHECK,
            "vcard": {
                "qrMinutes": int(policy.VCARD_QR_VALID_FOR.total_seconds() // 60),
                "codeLength": policy.VCARD_DELEGATION_CODE_LENGTH,
                "codeHours": int(policy.VCARD_DELEGATION_CODE_VALID_FOR.total_seconds() // 3600),
                "outsideDays": policy.VCARD_DELEGATION_MAX_OUTSIDE_HOUSEHOLD.days,
                "householdDays": policy.VCARD_DELEGATION_MAX_IN_HOUSEHOLD.days,
                "agreeMinutes": int(policy.VCARD_HOUSEHOLD_ACCEPT_WITHIN.total_seconds() // 60),
                "photoMaxMb": policy.VCARD_PHOTO_MAX_BYTES // (1024 * 1024),
                "youngAge": policy.VCARD_PHOTO_ID_OPTIONAL_UNDER_AGE,
            },
            "jsqr": static("vendor/jsqr/jsQR.js"),
            "version": shell_version(),
        },
    }
    return _no_cache(render(request, "mobile/shell.html", context))


@require_safe
def manifest(request):
    scope = reverse("mobile:shell")
    body = {
        "id": scope,
        "name": "健康存摺 HealthBank",
        "short_name": "健康存摺",
        "description": "全民健康保險 健康存摺與虛擬健保卡 · My Health Bank and the virtual NHI card",
        "lang": "zh-Hant-TW",
        "dir": "ltr",
        "start_url": scope,
        "scope": scope,
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": "#ffffff",
        "categories": ["health", "medical"],
        "icons": [
            {"src": static("healthbank/app/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("healthbank/app/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": static("healthbank/app/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return _no_cache(response)


@require_safe
def service_worker(request):
    """The service worker, from a template: it names this deployment's shell files and their version."""
    shell_urls = [reverse("mobile:shell"), reverse("mobile:manifest")]
    shell_urls += [reverse("mobile:catalog", args=[language]) for language in LANGUAGES]
    shell_urls += [reverse("mobile:diagram", args=[name]) for name in DIAGRAMS]
    for name in APP_FILES:
        shell_urls += _both_names(name)
    context = {"version": shell_version(), "shell_urls": json.dumps(shell_urls), "scope": reverse("mobile:shell")}
    response = render(request, "mobile/sw.js", context, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("mobile:shell")
    return _no_cache(response)


_catalog = JavaScriptCatalog.as_view(domain="djangojs", packages=["healthbank.mobile"])


@require_safe
@cache_control(no_cache=True)
def catalog(request, language: str):
    """The app's messages in one language (Django's JavaScript catalogue: ``gettext`` and friends)."""
    with translation.override(language):
        return _catalog(request)


@require_safe
def diagram(request, name: str):
    """An unmarked passbook diagram as SVG (the web's geometry, no words, no person): the tooth chart, or the body
    figure with where each operated site would be marked. The app marks them in the reader's language."""
    from healthbank.passbook import diagrams

    if name == "teeth":
        context = {"chart": diagrams.tooth_chart_context({}, str, lambda fdi, count: "")}
        template = "mobile/diagrams/teeth.svg"
    else:
        sex = name.removeprefix("body-")
        context = diagrams.unmarked_body_context(sex)
        template = "mobile/diagrams/body.svg"
    response = render(request, template, context, content_type="image/svg+xml; charset=utf-8")
    return _no_cache(response)
