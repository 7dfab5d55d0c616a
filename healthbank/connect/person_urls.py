"""The person's own pages of the connect app (under /me/)."""

from django.urls import path

from . import views

app_name = "connect"
urlpatterns = [
    path("me/apps/", views.connected_apps, name="apps"),
    path("me/apps/<uuid:connection_id>/revoke/", views.revoke_app, name="revoke"),
]
