"""The project's URLs plus the institution list's, until healthbank/urls.py includes the virtual card's.

The list's own patterns come first (its API before the APIs' catch-all 404); the project's follow, so the
page's base template still finds every URL it names.
"""

from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path

from healthbank.urls import handler400, handler403, handler404, handler500
from healthbank.urls import urlpatterns as project_patterns
from healthbank.vcard.directory_urls import api_patterns, web_patterns

urlpatterns = [
    *api_patterns,
    *i18n_patterns(path("", include((web_patterns, "vcard"))), prefix_default_language=False),
    *project_patterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
