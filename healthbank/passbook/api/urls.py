"""``/api/app/v1/passbook/...``: the app's passbook endpoints."""

from django.urls import include, path

from . import care, insurance, labs, personal, visits

person_routes = [
    path("summary", visits.SummaryView.as_view(), name="app-passbook-summary"),
    path("outpatient", visits.OutpatientView.as_view(), name="app-passbook-outpatient"),
    path("chinese-medicine", visits.ChineseMedicineView.as_view(), name="app-passbook-chinese"),
    path("visits/<uuid:visit_id>", visits.VisitDetailView.as_view(), name="app-passbook-visit"),
]
person_routes += care.routes + insurance.routes + labs.routes + personal.routes  # each group's own (api/<group>.py)

urlpatterns = [
    path("passbook", visits.PassbooksView.as_view(), name="app-passbooks"),
    path("passbook/<uuid:person_id>/", include(person_routes)),
]
