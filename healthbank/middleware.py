"""Project-wide middleware."""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.core.signals import got_request_exception
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_cache_control

from healthbank.core import logformat, outage

logger = logging.getLogger("healthbank.outage")


class ApiLanguageMiddleware:
    """API paths carry no language prefix: let the caller's Accept-Language choose (default Chinese).

    Django's LocaleMiddleware gives every unprefixed path the default language when
    the site uses ``i18n_patterns(prefix_default_language=False)``, which would keep
    the app from ever receiving English messages.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(("/api/", "/fhir/")):
            language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


def _prefers_json(request) -> bool:
    accept = request.headers.get("Accept", "")
    return (
        request.path_info.startswith(("/api/", "/fhir/"))
        or request.path_info.endswith(".json")
        or ("application/json" in accept and "text/html" not in accept)
    )


def outage_response(request, exc: BaseException) -> HttpResponse:
    """503 with Retry-After and a clear message in the page's language; JSON for the API and page scripts."""
    logger.error("dependency away, answered 503: %s %s [%s]", request.method, request.path_info, logformat.summary(exc))
    if request.path_info.startswith("/api/"):
        language = translation.get_language_from_request(request, check_path=False)
    else:
        language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    with translation.override(language):
        message = outage.outage_message()
        if _prefers_json(request):
            response = JsonResponse(
                {"errors": {"service": [message]}}, status=503, json_dumps_params={"ensure_ascii": False}
            )
        else:
            context = {"message": message, "language": language, "path": request.get_full_path()}
            response = HttpResponse(render_to_string("outage.html", context), status=503)
    response["Retry-After"] = str(outage.RETRY_AFTER_SECONDS)
    response["Content-Language"] = language
    patch_cache_control(response, no_store=True)
    response._has_been_logged = True  # the line above is the one log line of this failure
    return response


def _remember_outage(sender, request=None, **kwargs) -> None:
    """An exception a middleware raised (the session read, the person's account) is seen only here."""
    exc = sys.exc_info()[1]
    if request is not None and exc is not None and outage.is_dependency_outage(exc):
        request._dependency_outage = exc


got_request_exception.connect(_remember_outage, dispatch_uid="healthbank-dependency-outage")


class DependencyOutageMiddleware:
    """A request that failed because the database, cache or broker is away answers 503, never a bare 500.

    Views' exceptions arrive in ``process_exception``; one raised by another
    middleware has already become Django's 500 response by the time it gets here,
    so the ``got_request_exception`` signal marks the request and the 500 is replaced.
    The API's own exception handler answers API views first; this covers the rest.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        exc = getattr(request, "_dependency_outage", None)
        if exc is not None and response.status_code >= 500 and response.status_code != 503:
            return outage_response(request, exc)
        return response

    def process_exception(self, request, exception):
        if outage.is_dependency_outage(exception):
            return outage_response(request, exception)
        return None


class NoStoreAppApiMiddleware:
    """The app API answers with a person's data and tokens: no browser, proxy or app cache keeps a copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith("/api/app/"):
            patch_cache_control(response, private=True, no_store=True)
        return response
