"""``/api/app/v1/services/``: each service keeps its own routes in ``api/<service>.py`` (``routes``)."""

from django.urls import include, path

from . import cases
from .index import ServicesIndexView

person_routes: list = [*cases.routes]

urlpatterns = [
    path("", ServicesIndexView.as_view(), name="app-services"),
    path("<uuid:person_id>/", include(person_routes)),
]
