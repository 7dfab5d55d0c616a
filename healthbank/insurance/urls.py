"""The personal NHI data services' pages (SPEC §10), under the language prefix; namespace ``insurance``.

Each service keeps its own routes in ``views/<service>.py`` (``routes``), taking ``<uuid:person_id>``.
"""

from django.urls import include, path

from .views import cases, index, system_check

app_name = "insurance"

person_routes: list = [*cases.routes]

urlpatterns = [
    path("services/", index.index, name="index"),
    *system_check.routes,
    path("services/<uuid:person_id>/", include(person_routes)),
]
