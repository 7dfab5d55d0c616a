from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from healthbank import health
from healthbank.accounts.captcha import captcha_audio
from healthbank.audit.api import AccessLogView
from healthbank.audit.operator_pages import no_view_on_site
from healthbank.core.api import not_found as api_not_found
from healthbank.devices.api import (
    AppLoginView,
    AppMeView,
    BindDeviceView,
    DeviceListView,
    DeviceStatusView,
    PhoneVerifyView,
)
from healthbank.passbook.counter import counter_view
from healthbank.records.api import INGEST_VIEWS
from healthbank.vcard.api import app_patterns as vcard_app_patterns
from healthbank.vcard.api import institution_patterns as vcard_institution_patterns
from healthbank.vcard.directory_urls import api_patterns as vcard_directory_patterns

api_patterns = [path(f"ingest/v1/{name}", view.as_view(), name=f"ingest-{name}") for name, view in INGEST_VIEWS.items()]

urlpatterns = [
    path("api/", include(api_patterns)),
    path("api/app/v1/devices/bind", BindDeviceView.as_view(), name="app-bind-device"),
    path("api/app/v1/devices/verify-phone", PhoneVerifyView.as_view(), name="app-verify-phone"),
    path("api/app/v1/login", AppLoginView.as_view(), name="app-login"),
    path("api/app/v1/me", AppMeView.as_view(), name="app-me"),
    path("api/app/v1/devices", DeviceListView.as_view(), name="app-devices"),
    path("api/app/v1/access-log", AccessLogView.as_view(), name="app-access-log"),
    re_path(
        r"^api/app/v1/devices/(?P<device_id>[^/]+)/(?P<action>enable|disable)$",  # the view checks the id
        DeviceStatusView.as_view(),
        name="app-device-status",
    ),
    path("api/app/v1/", include("healthbank.passbook.api.urls")),
    path("api/app/v1/passbook/<uuid:person_id>/", include("healthbank.exports.api_urls")),
    path("api/app/v1/services/", include("healthbank.insurance.api.urls")),
    *vcard_app_patterns,
    *vcard_institution_patterns,
    *vcard_directory_patterns,
    # The FHIR R4 read API for connected health apps (issue 14): no language prefix; Accept-Language decides.
    path("fhir/R4/", include("healthbank.fhir.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (no inline script); its page keeps one
    # inline <style> block and draws icons from data: URLs, which only this page may use.
    path(
        "api/docs/",
        csp_update({"style-src": [SELF, UNSAFE_INLINE], "img-src": [SELF, "data:"]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="swagger-ui",
    ),
    # Before the library's own: the captcha read aloud in the page's language (accounts/captcha.py).
    re_path(r"^captcha/audio/(?P<key>\w+)\.wav$", captcha_audio, name="captcha-audio"),
    path("captcha/", include("captcha.urls")),
    path("app/", include("healthbank.mobile.urls")),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("favicon.ico", lambda request: HttpResponsePermanentRedirect(static("healthbank/favicon.png"))),
]
urlpatterns += i18n_patterns(
    # Under the language prefix, so set_language reads the current page's path in its own language.
    path("i18n/", include("django.conf.urls.i18n")),
    path(  # before the admin's own URLs: an operator page under the admin login
        "admin/identity/person/<uuid:person_id>/counter-view/",
        admin.site.admin_view(counter_view),
        name="counter-view",
    ),
    path(
        "admin/r/<path:content_type_id>/<path:object_id>/",
        admin.site.admin_view(no_view_on_site),
        name="no-view-on-site",
    ),
    path("admin/", admin.site.urls),
    path("", include("healthbank.accounts.urls")),
    path("", include("healthbank.devices.urls")),
    path("", include("healthbank.exports.urls")),
    path("", include("healthbank.passbook.urls")),
    path("", include("healthbank.vcard.urls")),
    path("", include("healthbank.insurance.urls")),
    # Log in with HealthBank (OpenID Connect, issue 14): /oauth/… and the discovery document at the root. Under
    # the language prefix so the consent page reads in the person's language (/en/oauth/authorize/); agencies
    # use the unprefixed addresses the discovery document names.
    path("", include("healthbank.connect.urls")),
    path("", include("healthbank.connect.person_urls")),
    prefix_default_language=False,
)
# Last: any other path under /api/ answers the APIs' JSON 404, not the HTML page.
urlpatterns += [re_path(r"^api/", api_not_found)]

# Django's error handlers: JSON on /api/, the bilingual pages elsewhere, and never a second read of the body.
handler400 = "healthbank.errors.bad_request"
handler403 = "healthbank.errors.permission_denied"
handler404 = "healthbank.errors.page_not_found"
handler500 = "healthbank.errors.server_error"
