"""Project-wide middleware."""

from __future__ import annotations

from django.utils import translation


class ApiLanguageMiddleware:
    """API paths carry no language prefix: let the caller's Accept-Language choose (default Chinese).

    Django's LocaleMiddleware gives every unprefixed path the default language when
    the site uses ``i18n_patterns(prefix_default_language=False)``, which would keep
    the app from ever receiving English messages.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
