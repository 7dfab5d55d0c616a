from django.urls import path

from . import unit_views, views

app_name = "accounts"
urlpatterns = [
    path("register/", views.terms, name="register"),
    path("register/card/", views.register_card, name="register-card"),
    path("register/details/", views.register_details, name="register-details"),
    path("register/done/", views.register_done, name="register-done"),
    path("register/pending/", views.pending, name="register-pending"),
    path("register/confirm/<str:token>/", views.confirm, name="confirm"),
    path("register/places.json", views.places, name="places"),
    path("card/challenge", views.card_challenge, name="card-challenge"),
    path("login/", views.login, name="login"),
    path("login/card/", views.login_with_card, name="login-card"),
    path("login/certificate/", views.login_with_certificate, name="login-certificate"),
    path("kiosk/", views.kiosk, name="kiosk"),
    path("logout/", views.logout, name="logout"),
    path("me/", views.me, name="me"),
    path("me/access-log/", views.access_log, name="access-log"),
    path("unit/login/", unit_views.unit_login, name="unit-login"),
    path("unit/", unit_views.unit_home, name="unit-home"),
    path("unit/uploads/<uuid:upload_id>/result.csv", unit_views.unit_result, name="unit-result"),
    path("unit/logout/", unit_views.unit_logout, name="unit-logout"),
    path("me/password/", views.change_password, name="change-password"),
    path("me/contacts/", views.change_contacts, name="change-contacts"),
    path("password/forgot/", views.forgot_password, name="forgot-password"),
    path("password/reset/<str:token>/", views.reset_password, name="password-reset"),
    path("password/check", views.password_check, name="password-check"),
]
