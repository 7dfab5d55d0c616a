"""The app's device binding endpoint (SPEC §5): a device code in, a device credential out."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from pydantic import BaseModel, Field
from rest_framework import authentication, exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle
from rest_framework.views import APIView

from healthbank.accounts import limits
from healthbank.core.http import client_address, throttle_bucket

from . import selectors, services


class ClientScopedRateThrottle(BaseThrottle):
    """The view's ``throttle_scope`` rate per client address (IPv6 by /64), counted in one atomic step.

    DRF's own throttles read the request history and then write it back, so a
    parallel burst of guesses all saw room (60 of 60 through a limit of 10), and
    their default key trusts a forged X-Forwarded-For. This one takes its slot
    with ``accounts.limits.hit`` (Redis INCR, or one database upsert) before the view runs.
    """

    def allow_request(self, request, view):
        scope = view.throttle_scope
        limit, self.window = SimpleRateThrottle.parse_rate(self, api_settings.DEFAULT_THROTTLE_RATES[scope])
        bucket = throttle_bucket(client_address(request))
        return limits.hit(f"throttle:{scope}:{bucket}", dt.timedelta(seconds=self.window)) <= limit

    def wait(self):
        return self.window  # at most one window: the fixed window may end sooner


class BindIn(BaseModel):
    code: str = Field(description="the 8-character device verification code, typed or scanned from the QR")
    platform: str = Field(description="e.g. iOS, Android")
    model: str = Field(description="device model")
    device_identifier: str = Field(description="the app's identifier of this device")


class BindOut(BaseModel):
    device_id: str
    credential: str = Field(description="keep it on the device; the app sends it with national ID + password")


def _fields(request, schema: type[BaseModel]) -> dict[str, str]:
    """The schema's fields from the JSON body, as text (missing ones empty: the service names what is wrong)."""
    data = request.data if isinstance(request.data, dict) else {}
    return {name: str(data.get(name, "")) for name in schema.model_fields}


def _bound(bind) -> Response:
    """Run a binding; 201 with the device credential, or 400 naming the field and the reason."""
    try:
        binding, credential = bind()
    except services.DeviceError as exc:
        return Response({"errors": {exc.field: [exc.message]}}, status=400)
    return Response({"device_id": str(binding.pk), "credential": credential}, status=201)


class BindDeviceView(APIView):
    throttle_classes = [ClientScopedRateThrottle]
    throttle_scope = "device_bind"

    @extend_schema(
        operation_id="app_bind_device",
        request=BindIn,
        responses={201: BindOut, 400: OpenApiResponse(description="wrong, used or expired code; bad device data"),
                   429: OpenApiResponse(description="too many tries")},
        tags=["app"],
    )  # fmt: skip
    def post(self, request):
        fields = _fields(request, BindIn)
        return _bound(lambda: services.bind_device(fields.pop("code"), **fields))


class PhoneVerifyIn(BaseModel):
    national_id: str
    card_last4: str = Field(description="the last 4 digits of the NHI card number")
    mobile: str = Field(description="the mobile number of this phone, 09xxxxxxxx")
    password: str = Field(description="registration password")
    platform: str
    model: str
    device_identifier: str


class PhoneVerifyView(APIView):
    throttle_classes = [ClientScopedRateThrottle]
    throttle_scope = "device_bind"

    @extend_schema(
        operation_id="app_verify_device_by_phone",
        request=PhoneVerifyIn,
        responses={201: BindOut, 400: OpenApiResponse(description="refused, with the reason and what to do instead"),
                   429: OpenApiResponse(description="too many tries")},
        tags=["app"],
    )  # fmt: skip
    def post(self, request):
        fields = _fields(request, PhoneVerifyIn)
        return _bound(lambda: services.bind_by_phone(source=client_address(request), **fields))


class AppLoginIn(BaseModel):
    national_id: str
    password: str
    device_credential: str = Field(description="what device binding returned")


class AppLoginOut(BaseModel):
    token: str
    expires_at: str


class AppLoginView(APIView):
    @extend_schema(
        operation_id="app_login",
        request=AppLoginIn,
        responses={200: AppLoginOut, 400: OpenApiResponse(description="wrong ID or password, or device not verified")},
        tags=["app"],
    )
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        try:
            row, token = services.app_login(
                national_id=str(data.get("national_id", "")),
                password=str(data.get("password", "")),
                device_credential=str(data.get("device_credential", "")),
                source=client_address(request),
            )
        except services.DeviceError as exc:
            return Response({"errors": {exc.field: [exc.message]}}, status=400)
        return Response({"token": token, "expires_at": row.expires_at.isoformat()})


class AppTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        scheme, _space, token = authentication.get_authorization_header(request).decode("latin-1").partition(" ")
        if scheme != "Token" or not token:
            return None
        row = services.app_token(token.strip())
        if row is None:
            raise exceptions.AuthenticationFailed(_("This token is not valid any more; log in again."))
        return (None, row)

    def authenticate_header(self, request):
        return "Token"


class AppMeOut(BaseModel):
    name: str = Field(description="masked name")
    national_id: str = Field(description="masked national ID")


def _token(request):
    if request.auth is None:
        raise exceptions.NotAuthenticated(_("Log in from the app first."))
    return request.auth


class AppMeView(APIView):
    authentication_classes = [AppTokenAuthentication]

    @extend_schema(operation_id="app_me", responses={200: AppMeOut}, tags=["app"])
    def get(self, request):
        person = _token(request).person
        return Response({"name": person.masked_name, "national_id": person.national_id_masked})


class DeviceOut(BaseModel):
    device_id: str
    platform: str
    model: str
    device_identifier: str
    verified_at: str = Field(description="when the device was verified (ISO 8601)")
    status: str = Field(description="enabled or disabled; one device is enabled at a time")
    this_device: bool = Field(description="the device this token was issued on")


class DeviceListView(APIView):
    """SPEC §5 device management: every device the person ever verified, newest first."""

    authentication_classes = [AppTokenAuthentication]

    @extend_schema(operation_id="app_devices", responses={200: DeviceOut.model_json_schema()}, tags=["app"])
    def get(self, request):
        row = _token(request)
        return Response([_device(b, row.device_id) for b in selectors.devices_of(row.person)])


class DeviceStatusView(APIView):
    """Enable one device (which disables the person's others) or disable one; disabling ends its tokens."""

    authentication_classes = [AppTokenAuthentication]

    @extend_schema(
        operation_id="app_device_set_status",
        request=None,
        responses={200: DeviceOut.model_json_schema(), 404: OpenApiResponse(description="not one of your devices")},
        tags=["app"],
    )
    def post(self, request, device_id, action):
        row = _token(request)
        try:
            binding = services.set_device_enabled(row.person, device_id, action == "enable")
        except services.DeviceError as exc:
            return Response({"errors": {exc.field: [exc.message]}}, status=404)
        return Response(_device(binding, row.device_id))


def _device(binding, current_device_id) -> dict:
    return DeviceOut(
        device_id=str(binding.pk),
        platform=binding.platform,
        model=binding.model,
        device_identifier=binding.device_identifier,
        verified_at=binding.verified_at.isoformat(),
        status=binding.status,
        this_device=binding.pk == current_device_id,
    ).model_dump()
