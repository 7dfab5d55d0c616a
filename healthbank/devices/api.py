"""The app's device binding endpoint (SPEC §5): a device code in, a device credential out."""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import BaseModel, Field, RootModel
from rest_framework import authentication, exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle
from rest_framework.views import APIView

from healthbank import policy
from healthbank.accounts import limits
from healthbank.core.api import ErrorBody, error_response
from healthbank.core.http import client_address, throttle_bucket

from . import selectors, services

_TOO_MANY = OpenApiResponse(ErrorBody, "too many tries from this address; wait (Retry-After) and try again")
_NO_TOKEN = OpenApiResponse(ErrorBody, "no token, or the token is not valid any more (log in again)")
_EXAMPLE_DEVICE = {
    "device_id": "0196f1d2-7c4e-7a10-9b3e-2f5d8c1a4e77",
    "platform": "Android",
    "model": "Pixel 8",
    "device_identifier": "b1f0c2de-33aa-4c1e-9d2f-7e6a5b4c3d21",
    "verified_at": "2026-11-18T09:30:00+08:00",
    "status": "enabled",
    "this_device": True,
}
_EXAMPLE_BOUND = {
    "device_id": _EXAMPLE_DEVICE["device_id"],
    "credential": "q3L0xkzj2mY8c5Vn1tEw9RrA6uHd4FbKs7GpJoQiZ_M",
}


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


def _refused(exc: services.DeviceError) -> Response:
    """400 naming the field and the reason; 429 with Retry-After when the address's or device's tries are used up."""
    if exc.code == "throttled":
        wait = str(int(policy.LOGIN_FAILURE_WINDOW.total_seconds()))  # at most one window: it may end sooner
        return Response({"errors": {exc.field: [exc.message]}}, status=429, headers={"Retry-After": wait})
    return Response({"errors": {exc.field: [exc.message]}}, status=400)


def _bound(bind) -> Response:
    """Run a binding; 201 with the device credential, or the refusal (``_refused``)."""
    try:
        binding, credential = bind()
    except services.DeviceError as exc:
        return _refused(exc)
    return Response({"device_id": str(binding.pk), "credential": credential}, status=201)


class BindDeviceView(APIView):
    throttle_classes = [ClientScopedRateThrottle]
    throttle_scope = "device_bind"

    @extend_schema(
        operation_id="app_bind_device",
        request=BindIn,
        responses={
            201: BindOut,
            400: OpenApiResponse(ErrorBody, "wrong, used or expired code; bad device data; malformed body"),
            429: _TOO_MANY,
        },
        examples=[
            OpenApiExample(
                "a code typed or scanned",
                value={"code": "De7242jZ", "platform": "Android", "model": "Pixel 8",
                       "device_identifier": _EXAMPLE_DEVICE["device_identifier"]},
                request_only=True,
            ),
            OpenApiExample("bound", value=_EXAMPLE_BOUND, response_only=True, status_codes=["201"]),
        ],
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
        responses={
            201: BindOut,
            400: OpenApiResponse(ErrorBody, "refused, with the reason and what to do instead; malformed body"),
            429: _TOO_MANY,
        },
        examples=[
            OpenApiExample(
                "this phone's number",
                value={"national_id": "A123456789", "card_last4": "4444", "mobile": "0912345678",
                       "password": "Abc12345!", "platform": "Android", "model": "Pixel 8",
                       "device_identifier": _EXAMPLE_DEVICE["device_identifier"]},
                request_only=True,
            ),
            OpenApiExample("bound", value=_EXAMPLE_BOUND, response_only=True, status_codes=["201"]),
        ],
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
        responses={
            200: AppLoginOut,
            400: OpenApiResponse(ErrorBody, "wrong ID or password, or device not verified; malformed body"),
            429: _TOO_MANY,
        },
        examples=[
            OpenApiExample(
                "national ID, password and the device credential",
                value={
                    "national_id": "A123456789",
                    "password": "Abc12345!",
                    "device_credential": _EXAMPLE_BOUND["credential"],
                },
                request_only=True,
            ),
            OpenApiExample(
                "logged in",
                value={
                    "token": "Vd8s0PqL3nXe7Ry2Kt5Uw9Ma1Bc4Fg6Hj_ZkQoWiEr",
                    "expires_at": "2026-11-18T10:30:00+08:00",
                },
                response_only=True,
                status_codes=["200"],
            ),
        ],
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
            return _refused(exc)
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


class AppTokenScheme(OpenApiAuthenticationExtension):
    """The app's token, as Swagger UI's "Authorize" asks for it (the value includes the word Token)."""

    target_class = AppTokenAuthentication
    name = "appToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>`, with the token from POST /api/app/v1/login.",
        }


class AppMeOut(BaseModel):
    name: str = Field(description="masked name")
    national_id: str = Field(description="masked national ID")


def _token(request):
    if request.auth is None:
        raise exceptions.NotAuthenticated(_("Log in from the app first."))
    return request.auth


class AppMeView(APIView):
    authentication_classes = [AppTokenAuthentication]

    @extend_schema(
        operation_id="app_me",
        responses={200: AppMeOut, 401: _NO_TOKEN},
        examples=[
            OpenApiExample(
                "the person",
                value={"name": "王○明", "national_id": "A12345****"},
                response_only=True,
                status_codes=["200"],
            )
        ],
        tags=["app"],
    )
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


class DeviceList(RootModel[list[DeviceOut]]):
    """Every device the person ever verified, newest first."""


class DeviceListView(APIView):
    """SPEC §5 device management: every device the person ever verified, newest first."""

    authentication_classes = [AppTokenAuthentication]

    @extend_schema(
        operation_id="app_devices",
        responses={200: DeviceList, 401: _NO_TOKEN},
        examples=[OpenApiExample("one device", value=[_EXAMPLE_DEVICE], response_only=True, status_codes=["200"])],
        tags=["app"],
    )
    def get(self, request):
        row = _token(request)
        return Response([_device(b, row.device_id) for b in selectors.devices_of(row.person)])


class DeviceStatusView(APIView):
    """Enable one device (which disables the person's others) or disable one; disabling ends its tokens."""

    authentication_classes = [AppTokenAuthentication]

    @extend_schema(
        operation_id="app_device_set_status",
        request=None,
        parameters=[
            OpenApiParameter("device_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="from GET devices"),
            OpenApiParameter("action", str, OpenApiParameter.PATH, enum=["enable", "disable"]),
        ],
        responses={
            200: DeviceOut,
            400: OpenApiResponse(ErrorBody, "device_id is not a device id (a UUID)"),
            401: _NO_TOKEN,
            404: OpenApiResponse(ErrorBody, "not one of your devices"),
        },
        examples=[OpenApiExample("enabled", value=_EXAMPLE_DEVICE, response_only=True, status_codes=["200"])],
        tags=["app"],
    )
    def post(self, request, device_id, action):
        row = _token(request)
        try:
            device = uuid.UUID(device_id)
        except ValueError:
            return error_response(400, "device_id", _("This is not a device id."))
        try:
            binding = services.set_device_enabled(row.person, device, action == "enable")
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
