"""Device verification page: generate a code (QR + text + valid until) and manage bound devices."""

from __future__ import annotations

import uuid

import segno
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from healthbank.accounts.decorators import citizen_required

from . import selectors, services


@citizen_required()
def devices(request):
    person = request.citizen.person
    issued, qr = None, ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "generate":
            issued = services.issue_device_code(person)
            qr = segno.make(issued.code, error="m").svg_inline(scale=6, title="device verification code")
        elif action in ("enable", "disable"):
            try:
                device = uuid.UUID(request.POST.get("device", ""))
            except ValueError:  # only a tampered form sends this
                return HttpResponseBadRequest(_("This is not a device id."), content_type="text/plain; charset=utf-8")
            try:
                services.set_device_enabled(person, device, action == "enable")
            except services.DeviceError:
                raise Http404 from None
            return redirect("devices:devices")
    bindings = selectors.devices_of(person)
    return render(request, "devices/devices.html", {"issued": issued, "qr": mark_safe(qr), "bindings": bindings})  # noqa: S308
