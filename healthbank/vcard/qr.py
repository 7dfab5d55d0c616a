"""QR pictures of the virtual card (segno; DESIGN): always a regular QR code, never Micro QR.

The card code is alphanumeric (``tokens``), error correction M: a version-8
symbol that a phone camera or a counter's scanner reads from a screen at arm's
length. Pages embed the SVG inline (no data: URL for the Content-Security-Policy
to allow); the app API sends a PNG.
"""

from __future__ import annotations

import base64
import io

import segno


def make(text: str) -> segno.QRCode:
    return segno.make_qr(text, error="m", boost_error=False)


def svg(text: str, *, title: str = "", scale: int = 6) -> str:
    """Inline SVG markup (no XML declaration), sized by the page's CSS; dark modules on white, 4-module border."""
    buffer = io.BytesIO()
    make(text).save(
        buffer,
        kind="svg",
        scale=scale,
        border=4,
        xmldecl=False,
        svgns=True,
        title=title or None,
        svgclass="qr",
        lineclass=None,
        omitsize=True,
        dark="#000",
        light="#fff",
    )
    return buffer.getvalue().decode()


def png(text: str, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    make(text).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def png_data_url(text: str, *, scale: int = 8) -> str:
    return "data:image/png;base64," + base64.b64encode(png(text, scale=scale)).decode()
