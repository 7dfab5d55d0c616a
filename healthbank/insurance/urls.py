"""The personal NHI data services' pages (SPEC §10), under the language prefix; namespace ``insurance``.

Each service keeps its own routes in ``views/<service>.py`` (``routes``), taking ``<uuid:person_id>``.
"""

from django.urls import include, path

from .views import card_replacement, cases, certificates, debit, ebill, index, system_check, township, unpaid
from .views import records as records_views

app_name = "insurance"

person_routes: list = [
    *records_views.routes,
    *certificates.routes,
    *township.routes,
    *unpaid.routes,
    *debit.routes,
    *ebill.routes,
    *card_replacement.routes,
    *cases.routes,
]

urlpatterns = [
    path("services/", index.index, name="index"),
    *system_check.routes,
    path("services/<uuid:person_id>/", include(person_routes)),
    *certificates.public_routes,  # 驗證證明: anyone, without logging in
]
