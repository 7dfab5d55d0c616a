"""``/passbook/<person id>/download/...`` and the doctor summary: the download service's web pages."""

from django.urls import include, path

from . import summary_views, views

app_name = "exports"

person_routes = [
    *views.routes,
    path("summary/", summary_views.doctor_summary, name="summary"),
    path("summary.pdf", summary_views.doctor_summary_pdf, name="summary-pdf"),
]

urlpatterns = [path("passbook/<uuid:person_id>/", include(person_routes))]
