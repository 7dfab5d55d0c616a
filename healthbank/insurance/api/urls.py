"""``/api/app/v1/services/``: each service keeps its own routes in ``api/<service>.py`` (``routes``)."""

from django.urls import include, path

from . import card_replacement, cases, certificates, debit, records, township, unpaid
from .index import ServicesIndexView

person_routes: list = [
    *records.routes,
    *certificates.routes,
    *township.routes,
    *unpaid.routes,
    *debit.routes,
    *card_replacement.routes,
    *cases.routes,
]

urlpatterns = [
    path("", ServicesIndexView.as_view(), name="app-services"),
    path("<uuid:person_id>/", include(person_routes)),
]
