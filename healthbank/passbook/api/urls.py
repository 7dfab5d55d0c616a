"""``/api/app/v1/passbook/...``: the app's passbook endpoints."""

from importlib import import_module

from django.urls import include, path

from . import visits

person_routes = [
    path("summary", visits.SummaryView.as_view(), name="app-passbook-summary"),
    path("outpatient", visits.OutpatientView.as_view(), name="app-passbook-outpatient"),
    path("chinese-medicine", visits.ChineseMedicineView.as_view(), name="app-passbook-chinese"),
    path("visits/<uuid:visit_id>", visits.VisitDetailView.as_view(), name="app-passbook-visit"),
]
for _group in ("care", "insurance", "labs", "personal"):  # each group of endpoints adds its own (api/<group>.py)
    try:
        person_routes += import_module(f"healthbank.passbook.api.{_group}").routes
    except ModuleNotFoundError:
        pass

urlpatterns = [
    path("passbook", visits.PassbooksView.as_view(), name="app-passbooks"),
    path("passbook/<uuid:person_id>/", include(person_routes)),
]
