"""Device verification page: generate a code (QR + text + valid until) and manage bound devices."""

from __future__ import annotations

import datetime as dt
import uuid

import segno
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from healthbank.accounts.decorators import citizen_required

from . import selectors, services

# The code just issued, kept in the (server-side) session until it expires, so the page can be reloaded,
# bookmarked or reached with Back without a form being sent again (Post/Redirect/Get).
SESSION_ISSUED = "device_code_issued"
QR_MODULE_PIXELS = 8  # 29 modules with the quiet zone: 232 px, read by a phone camera at arm's length
QR_QUIET_ZONE = 4  # modules of white around the symbol, as ISO/IEC 18004 asks


def device_code_qr(code: str) -> str:
    """A regular QR code (never Micro QR, which phone cameras do not read) as inline SVG with its name."""
    symbol = segno.make_qr(code, error="m")
    svg = symbol.svg_inline(
        scale=QR_MODULE_PIXELS,
        border=QR_QUIET_ZONE,
        dark="#000",
        light="#fff",
        title=escape(_("QR code of the device verification code")),
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)


def _issued(request, person):
    """The code issued in this session, while it still works; forgotten once it expired or was used."""
    kept = request.session.get(SESSION_ISSUED)
    if not kept:
        return None
    expires_at = dt.datetime.fromisoformat(kept["expires_at"])
    if expires_at <= timezone.now() or not selectors.device_code_usable(person, kept["code"]):
        request.session.pop(SESSION_ISSUED, None)
        return None
    return {"code": kept["code"], "expires_at": expires_at}


@citizen_required()
def devices(request):
    person = request.citizen.person
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "generate":
            issued = services.issue_device_code(person)
            request.session[SESSION_ISSUED] = {"code": issued.code, "expires_at": issued.expires_at.isoformat()}
        elif action in ("enable", "disable"):
            try:
                device = uuid.UUID(request.POST.get("device", ""))
            except ValueError:  # only a tampered form sends this
                return HttpResponseBadRequest(_("This is not a device id."), content_type="text/plain; charset=utf-8")
            try:
                services.set_device_enabled(person, device, action == "enable")
            except services.DeviceError:
                raise Http404 from None
        else:
            raise Http404
        return redirect("devices:devices")
    issued = _issued(request, person)
    context = {
        "issued": issued,
        "qr": mark_safe(device_code_qr(issued["code"])) if issued else "",  # noqa: S308 (segno's own SVG)
        "bindings": selectors.devices_of(person),
        # The app logs in with the registration password: a person who came in with a citizen
        # certificate alone is told before binding a device that the app will need one.
        "needs_registration": request.citizen.account is None,
    }
    return render(request, "devices/devices.html", context)
