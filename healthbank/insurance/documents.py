"""The document a township-office request carries (戶籍謄本, 出國證明, 入境紀錄 ...): a PDF, JPEG or PNG.

The type is decided by the bytes, never by the name or the browser's content type. Images go through the
virtual card's photo checks (``vcard.photos``: decoded, re-encoded, metadata dropped). A PDF is kept as sent
(an office reads it as it came), so it is checked instead: the size first, then that it starts with a PDF
header and ends with an end-of-file marker, and that it holds no script, launch action or embedded file
(a scan of a paper never needs them). Stored names are ``<2 hex>/<uuid hex>.pdf`` under
``settings.TOWNSHIP_DOCUMENT_DIR``, outside the web root, made here and checked on every read.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.vcard import photos

PDF = "pdf"
JPEG = "jpeg"
_READ_CHUNK = 256 * 1024
_PDF_HEADER = re.compile(rb"\A%PDF-[12]\.\d")
_PDF_END = b"%%EOF"
_PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b")
_NAME = re.compile(r"\A(?P<folder>[0-9a-f]{2})/(?P<hex>[0-9a-f]{32})\.pdf\Z")


class DocumentRefused(Exception):
    """An upload we do not keep; ``message`` is translated and names the reason for ``field``."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def store_document(upload: Any, *, field: str = "document") -> tuple[str, str]:
    """Check an upload and keep it: ``(stored name, "pdf" or "jpeg")``; ``DocumentRefused`` before any write."""
    if upload is None:
        raise DocumentRefused(field, _("Attach the document the office needs (PDF, JPEG or PNG)."))
    data = _read_bounded(upload, field)
    if not data:
        raise DocumentRefused(field, _("The file is empty."))
    if data.startswith(b"%PDF"):
        _check_pdf(data, field)
        return _write_pdf(data), PDF
    if data.startswith((b"\xff\xd8", b"\x89PNG")):
        try:
            return photos.store_photo(io.BytesIO(data), field=field), JPEG
        except photos.PhotoRefused as exc:
            raise DocumentRefused(field, exc.message) from None
    raise DocumentRefused(field, _("Only PDF, JPEG or PNG files are accepted; this file is none of them."))


def read_document(name: str, kind: str) -> bytes:
    """The stored bytes; ValueError for a name we would not have made, FileNotFoundError when it is gone."""
    if kind == JPEG:
        return photos.read_photo(name)
    return _path(name).read_bytes()


def delete_document(name: str, kind: str) -> None:
    if kind == JPEG:
        photos.delete_photo(name)
    else:
        _path(name).unlink(missing_ok=True)


def _too_large(field: str) -> DocumentRefused:
    mb = policy.TOWNSHIP_DOCUMENT_MAX_BYTES // (1024 * 1024)
    return DocumentRefused(field, _("The file is larger than %(mb)d MB.") % {"mb": mb})


def _read_bounded(upload: Any, field: str) -> bytes:
    limit = policy.TOWNSHIP_DOCUMENT_MAX_BYTES
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise _too_large(field)
    try:
        upload.seek(0)
    except (AttributeError, OSError, ValueError):
        pass
    buffer = bytearray()
    while len(buffer) <= limit:
        chunk = upload.read(min(_READ_CHUNK, limit + 1 - len(buffer)))
        if not chunk:
            break
        buffer += chunk
    if len(buffer) > limit:
        raise _too_large(field)
    return bytes(buffer)


def _check_pdf(data: bytes, field: str) -> None:
    if not _PDF_HEADER.match(data) or _PDF_END not in data[-1024:]:
        raise DocumentRefused(
            field, _("The PDF file is damaged or incomplete. Please save it again or send a photo of the paper.")
        )
    if _PDF_ACTIVE.search(data):
        raise DocumentRefused(
            field, _("This PDF holds a script, an action or an attached file. Please send a plain scan of the paper.")
        )


def _path(name: str) -> Path:
    match = _NAME.match(name) if isinstance(name, str) else None
    if match is None or match["folder"] != match["hex"][:2]:
        raise ValueError("not a stored document name")
    return Path(settings.TOWNSHIP_DOCUMENT_DIR) / match["folder"] / f"{match['hex']}.pdf"


def _private_folder(path: Path) -> None:
    try:
        path.mkdir(mode=0o700, parents=False)
    except FileExistsError:
        return
    os.chmod(path, 0o700)


def _write_pdf(data: bytes) -> str:
    hex_name = uuid.uuid4().hex
    name = f"{hex_name[:2]}/{hex_name}.pdf"
    target = _path(name)
    root = Path(settings.TOWNSHIP_DOCUMENT_DIR)
    root.parent.mkdir(parents=True, exist_ok=True)
    _private_folder(root)
    _private_folder(target.parent)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return name
