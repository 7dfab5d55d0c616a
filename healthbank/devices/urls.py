from django.urls import path

from . import views

app_name = "devices"
urlpatterns = [path("me/devices/", views.devices, name="devices")]
