"""The scan page at a clinic's counter (SPEC §9: 院所掃描虛擬健保卡).

Institutions have no web login: they hold an API key (``healthbank.records.auth``). So the page itself is public
and static, and everything it shows comes from ``POST /api/vcard/v1/scans``, which its script calls with the key
the counter staff paste once (kept in the tab's ``sessionStorage``, never in a cookie). The page reads the QR with
the computer's camera (the vendored jsQR decoder) or takes what a USB barcode scanner types.
"""

from __future__ import annotations

from csp.constants import SELF
from csp.decorators import csp_update
from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from healthbank import policy

# The scan API's published, versioned path (docs/api.md): the page calls the same address institutions' own
# systems do, so it cannot drift from them.
SCAN_API = "/api/vcard/v1/scans"


# The card photo arrives inside the JSON as a data: URL; the script turns it into a blob: URL (never written into
# the markup), so only images from our own files and from the script's own blobs are allowed, not data:. The
# camera is a MediaStream set as the video's srcObject, which no fetch directive governs: media-src stays 'self'.
@csp_update({"img-src": [SELF, "blob:"]})
@require_safe
def counter_page(request):
    """The counter's page: the key box, the camera and the scanner box; the result is drawn by the script."""
    return render(
        request,
        "vcard/counter.html",
        {
            "title": _("Virtual NHI card scan (institution counter)"),
            "scan_url": SCAN_API,
            "time_zone": settings.TIME_ZONE,  # the visit's end is shown in Taiwan time, whatever the computer's zone
            "qr_valid_minutes": int(policy.VCARD_QR_VALID_FOR.total_seconds() // 60),
        },
    )
