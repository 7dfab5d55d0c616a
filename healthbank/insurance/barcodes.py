"""Code 39 barcodes of the payment slips (python-barcode), as ``data:`` URLs the PDF and the page embed."""

from __future__ import annotations

import base64
import io

import barcode
from barcode.writer import SVGWriter

# Bars wide enough for a store's scanner from paper and for a phone screen (module width in mm, bar height mm).
OPTIONS = {"module_width": 0.25, "module_height": 9.0, "quiet_zone": 4.0, "write_text": False}


def code39_svg(text: str) -> bytes:
    """The SVG of ``text`` as Code 39, without the optional mod-43 check (the slip has its own check codes)."""
    symbol = barcode.get("code39", text, writer=SVGWriter(), options={"add_checksum": False})
    buffer = io.BytesIO()
    symbol.write(buffer, options=OPTIONS)
    return buffer.getvalue()


def code39_data_url(text: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(code39_svg(text)).decode("ascii")
