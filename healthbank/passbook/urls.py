from django.urls import path

from . import views

app_name = "passbook"
urlpatterns = [path("", views.home, name="home")]
