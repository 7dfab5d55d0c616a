"""The virtual card's pages (SPEC §9), under the language prefix; namespace ``vcard``."""

from django.urls import path

from . import counter, views
from .directory_urls import web_patterns as directory_patterns

app_name = "vcard"

urlpatterns = [
    path("vcard/", views.home, name="home"),
    path("vcard/apply/", views.apply, name="apply"),
    path("vcard/qr/", views.qr_code, name="qr"),
    path("vcard/photo/<uuid:person_id>/", views.card_photo, name="photo"),
    path("vcard/manage/", views.manage, name="manage"),
    path("vcard/delegations/new/", views.new_delegation, name="new-delegation"),
    path("vcard/delegations/<uuid:delegation_id>/", views.delegation, name="delegation"),
    path("vcard/delegations/<uuid:delegation_id>/end/", views.end_delegation, name="end-delegation"),
    path("vcard/delegations/<uuid:delegation_id>/answer/", views.answer_household, name="answer-household"),
    path("vcard/obtain/", views.obtain, name="obtain"),
    path("vcard/requests/<uuid:request_id>/answer/", views.answer_request, name="answer-request"),
    path("vcard/requests/<uuid:request_id>/end/", views.end_request, name="end-request"),
    path("vcard/counter/", counter.counter_page, name="counter"),
    *directory_patterns,
]
