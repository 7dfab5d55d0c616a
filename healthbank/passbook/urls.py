"""The passbook's web pages: ``/passbook/<person id>/...`` (the reader's own or a child's, by the access rule)."""

from django.urls import include, path

from .views import visits

app_name = "passbook"

# Each group of pages adds its own routes under the person's passbook (views/<group>.py: ``routes``).
person_routes = [
    path("", visits.overview, name="overview"),
    path("outpatient/", visits.outpatient, name="outpatient"),
    path("chinese/", visits.chinese, name="chinese"),
    path("visits/<uuid:visit_id>/", visits.visit, name="visit"),
]


def _group_routes() -> list:
    from importlib import import_module

    routes = []
    for group in ("care", "insurance", "labs", "personal"):
        try:
            module = import_module(f"healthbank.passbook.views.{group}")
        except ModuleNotFoundError:
            continue
        routes += module.routes
    return routes


person_routes += _group_routes()

urlpatterns = [
    path("", visits.landing, name="home"),
    path("passbook/", visits.own_passbook, name="mine"),
    path("passbook/<uuid:person_id>/", include(person_routes)),
]
