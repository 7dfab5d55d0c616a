"""``/api/app/v1/passbook/<person id>/downloads``, ``imports``, ``doctor-summary.pdf``: the app's download service."""

from .api import routes

urlpatterns = routes
