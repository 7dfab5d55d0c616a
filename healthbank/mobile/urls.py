"""``/app/``: the app's shell, manifest, service worker and message catalogues (no language prefix: the app
follows the phone's language, or the person's choice, itself)."""

from django.urls import path, re_path

from . import views

app_name = "mobile"
urlpatterns = [
    path("", views.shell, name="shell"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service-worker"),
    re_path(r"^diagrams/(?P<name>teeth|body-M|body-F)\.svg$", views.diagram, name="diagram"),
    re_path(r"^i18n/(?P<language>zh-hant|en)\.js$", views.catalog, name="catalog"),
]
