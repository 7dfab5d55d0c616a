"""The passbook's web pages: ``/passbook/<person id>/...`` (the reader's own or a child's, by the access rule)."""

from django.urls import include, path

from .views import care, insurance, labs, personal, visits

app_name = "passbook"

# Each group of pages keeps its own routes (views/<group>.py: ``routes``).
person_routes = [
    path("", visits.overview, name="overview"),
    path("outpatient/", visits.outpatient, name="outpatient"),
    path("chinese/", visits.chinese, name="chinese"),
    path("visits/<uuid:visit_id>/", visits.visit, name="visit"),
    *care.routes,
    *insurance.routes,
    *labs.routes,
    *personal.routes,
]

urlpatterns = [
    path("", visits.landing, name="home"),
    path("passbook/", visits.own_passbook, name="mine"),
    path("passbook/<uuid:person_id>/", include(person_routes)),
]
