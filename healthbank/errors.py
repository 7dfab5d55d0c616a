"""Django's error handlers (handler400/403/404/500): the APIs' JSON on /api/, the bilingual error pages elsewhere.

Django's own handlers are wrapped in ``requires_csrf_token``, which reads
``request.POST`` again: a form body Django cannot decode (``charset=utf-16``)
raised once more inside the 400 handler, then inside the 500 handler, and the
request ended as the application server's bare 500. These handlers read nothing
of the request but its path and headers, and render the pages without it (no
session, database or context processor), so they answer even while those are away.

An exception that reaches them on an API path (one a middleware raised, a
``Host`` that is not ours) answers the documented ``{"errors": …}`` shape, never HTML.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def _api_error(request, status: int, field_name: str, message) -> JsonResponse:
    language = translation.get_language_from_request(request, check_path=False)
    with translation.override(language):
        body = {"errors": {field_name: [str(message())]}}
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["Content-Language"] = language
    return response


def _page(request, template: str, status: int) -> HttpResponse:
    language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    # An operator refused on a staff page is sent back to the operator pages, not to the citizens' home.
    operator_pages = request.path_info.removeprefix(f"/{language}").startswith("/admin/")
    with translation.override(language):
        return HttpResponse(render_to_string(template, {"operator_pages": operator_pages}), status=status)


def bad_request(request, exception=None):
    if is_api(request):
        return _api_error(request, 400, "request", lambda: _("The request could not be understood."))
    return _page(request, "400.html", 400)


def permission_denied(request, exception=None):
    if is_api(request):
        return _api_error(request, 403, "request", lambda: _("This is not allowed."))
    return _page(request, "403.html", 403)


def page_not_found(request, exception=None):
    if is_api(request):
        return _api_error(request, 404, "request", lambda: _("There is no API endpoint at this address."))
    return _page(request, "404.html", 404)


def server_error(request):
    if is_api(request):
        return _api_error(request, 500, "server", lambda: _("Something went wrong on our side; try again later."))
    return _page(request, "500.html", 500)
