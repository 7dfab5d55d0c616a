"""The app's device binding endpoint (SPEC §5): a device code in, a device credential out."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from pydantic import BaseModel, Field
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from . import services


class BindIn(BaseModel):
    code: str = Field(description="the 8-character device verification code, typed or scanned from the QR")
    platform: str = Field(description="e.g. iOS, Android")
    model: str = Field(description="device model")
    device_identifier: str = Field(description="the app's identifier of this device")


class BindOut(BaseModel):
    device_id: str
    credential: str = Field(description="keep it on the device; the app sends it with national ID + password")


class BindDeviceView(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "device_bind"

    @extend_schema(
        operation_id="app_bind_device",
        request=BindIn,
        responses={201: BindOut, 400: OpenApiResponse(description="wrong, used or expired code; bad device data"),
                   429: OpenApiResponse(description="too many tries")},
        tags=["app"],
    )  # fmt: skip
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        try:
            binding, credential = services.bind_device(
                str(data.get("code", "")),
                platform=str(data.get("platform", "")),
                model=str(data.get("model", "")),
                device_identifier=str(data.get("device_identifier", "")),
            )
        except services.DeviceError as exc:
            return Response({"errors": {exc.field: [exc.message]}}, status=400)
        return Response({"device_id": str(binding.pk), "credential": credential}, status=201)
