"""Photos of a virtual-card application (虛擬健保卡申請照片): an ID-document photo and a front half-body photo.

An upload is untrusted bytes from a phone. We never keep or serve those bytes:
each accepted photo is fully decoded and re-encoded as a fresh JPEG with no
metadata (a phone photo's EXIF carries the GPS position of the person's home),
scaled down to what a counter clerk needs. Before any pixel is decoded the
upload is bounded in size and in pixel count, so a 40 MB file or a small file
that inflates to gigapixels costs nothing. Files that are an image *and*
something else (a ZIP, an HTML page, a PHP script) are refused even though we
would only keep the pixels: such an upload is an attack, not a photo, and the
person gets a message saying so.

Stored names are ``<2 hex>/<uuid4 hex>.jpg`` under ``settings.VCARD_PHOTO_DIR``;
they are made here, never taken from the request, and every reader checks the
shape so a name from a database row cannot walk out of the folder.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import os
import re
import struct
import tempfile
import threading
import uuid
import warnings
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from healthbank import policy

# Pillow names a JPEG with several frames (phone cameras' depth or preview images) "MPO"; it is still a JPEG.
_ACCEPTED_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG"}
_STORED_QUALITY = 85
_CARD_QUALITY = 80
_READ_CHUNK = 256 * 1024
_NAME = re.compile(r"\A(?P<folder>[0-9a-f]{2})/(?P<hex>[0-9a-f]{32})\.jpg\Z")

# A browser ends a tag name at whitespace, "/" or ">", and PHP needs whitespace after "<?php"; requiring that
# delimiter keeps the rule exact for what those parsers run while sparing genuine photos whose compressed bytes
# happen to spell "<svg" (about one photo in a hundred at a few MB without the delimiter).
_MARKUP = re.compile(rb"<(?:script|html|svg|!doctype)[\s/>]|<\?php\s", re.IGNORECASE)
# Inside JPEG entropy-coded data 0xFF is followed by 0x00 (stuffing), a restart marker or another 0xFF (fill);
# any other byte after 0xFF is the next marker.
_JPEG_MARKER_IN_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# ZIP readers find an archive by its end-of-central-directory record within the last 64 KiB (+22) of a file.
_ZIP_END_OF_DIRECTORY = b"PK\x05\x06"
_ZIP_TAIL = 65_535 + 22


class PhotoRefused(Exception):
    """An upload that is not a photo we keep; ``message`` is translated and names the reason for the field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class _Damaged(Exception):
    """The bytes claim to be a JPEG or PNG but do not hold a complete one."""


class _TrailingData(Exception):
    """Bytes after the image's own end: a second file riding along."""


def store_photo(upload: Any, *, field: str) -> str:
    """Check an uploaded image and keep a clean re-encoded copy; the stored name (e.g. 'ab/<uuid hex>.jpg').

    ``upload`` is a Django UploadedFile or any binary file-like object. Every check runs before anything
    touches the disk, so a refusal (``PhotoRefused`` naming ``field``) leaves nothing behind.
    """
    data = _read_bounded(upload, field)
    jpeg = _clean_jpeg(data, field)
    return _write_new(jpeg)


def read_photo(name: str) -> bytes:
    """The stored JPEG bytes; ValueError for a name we would not have made, FileNotFoundError when it is gone."""
    return _path(name).read_bytes()


def card_photo_jpeg(name: str, side: int = policy.VCARD_CARD_PHOTO_SIDE) -> bytes:
    """A smaller JPEG of a stored photo, for the card on the phone and for what a scan answers with.

    Kept in the process for the next scan (a stored photo never changes; deleting one forgets them all): the
    benchmark found the shrinking a quarter of a scan's time.
    """
    return _card_photo_jpeg(name, side)


@functools.lru_cache(maxsize=256)
def _card_photo_jpeg(name: str, side: int) -> bytes:
    if side < 1:
        raise ValueError("side must be positive")
    with Image.open(io.BytesIO(read_photo(name)), formats=["JPEG"]) as stored:
        stored.draft("RGB", (side, side))
        picture = stored.convert("RGB")
    picture.thumbnail((side, side), Image.Resampling.LANCZOS)
    return _encode_jpeg(picture, _CARD_QUALITY)


def card_photo_data_url(name: str) -> str:
    """``data:image/jpeg;base64,...`` of ``card_photo_jpeg``: the card page embeds it without another request."""
    return "data:image/jpeg;base64," + base64.b64encode(card_photo_jpeg(name)).decode("ascii")


def delete_photo(name: str) -> None:
    """Remove a stored photo (a refused or withdrawn application); one already gone is fine."""
    _path(name).unlink(missing_ok=True)
    _card_photo_jpeg.cache_clear()


# --- reading the upload ---------------------------------------------------------------------------------------


def _too_large(field: str) -> PhotoRefused:
    mb = policy.VCARD_PHOTO_MAX_BYTES // (1024 * 1024)
    return PhotoRefused(field, _("The photo is larger than %(mb)d MB.") % {"mb": mb})


def _read_bounded(upload: Any, field: str) -> bytes:
    """At most MAX_BYTES + 1 bytes: enough to tell "too large" without holding a huge upload in memory."""
    limit = policy.VCARD_PHOTO_MAX_BYTES
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise _too_large(field)
    try:
        upload.seek(0)  # a form's ImageField may already have read it
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


# --- checking and re-encoding ----------------------------------------------------------------------------------


def _not_a_photo(field: str) -> PhotoRefused:
    return PhotoRefused(field, _("Only JPEG or PNG photos are accepted; this file is not one."))


def _damaged(field: str) -> PhotoRefused:
    return PhotoRefused(
        field, _("The photo file is damaged or incomplete. Please take the photo again or save it as JPEG or PNG.")
    )


def _more_than_a_photo(field: str) -> PhotoRefused:
    return PhotoRefused(
        field, _("This file holds more than a photo (other data or code is attached). Please upload the photo itself.")
    )


def _too_many_pixels(field: str) -> PhotoRefused:
    megapixels = policy.VCARD_PHOTO_MAX_PIXELS // 1_000_000
    return PhotoRefused(
        field, _("The photo has too many pixels (at most %(megapixels)d megapixels).") % {"megapixels": megapixels}
    )


def _clean_jpeg(data: bytes, field: str) -> bytes:
    """The re-encoded JPEG of an acceptable upload, or PhotoRefused; runs entirely in memory."""
    with warnings.catch_warnings():
        # Pillow only warns between its own limit and twice it; here any bomb is a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=["JPEG", "PNG"])  # MPO comes from the JPEG opener
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(field) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error, EOFError):
            raise _not_a_photo(field) from None
        with image:
            kind = _ACCEPTED_FORMATS.get(image.format or "")
            if kind is None:
                raise _not_a_photo(field)
            width, height = image.size
            if width * height > policy.VCARD_PHOTO_MAX_PIXELS:
                raise _too_many_pixels(field)
            if min(width, height) < policy.VCARD_PHOTO_MIN_SIDE:
                raise PhotoRefused(
                    field,
                    _(
                        "The photo is too small to show a face or a document clearly "
                        "(at least %(side)d × %(side)d pixels)."
                    )
                    % {"side": policy.VCARD_PHOTO_MIN_SIDE},
                )
            try:
                _check_only_an_image(data, kind)
            except _TrailingData:
                raise _more_than_a_photo(field) from None
            except _Damaged:
                raise _damaged(field) from None
            try:
                picture = _decoded_rgb(image)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise _too_many_pixels(field) from None
            except (OSError, SyntaxError, ValueError, struct.error, EOFError, IndexError, TypeError, KeyError):
                raise _damaged(field) from None
    return _encode_jpeg(picture, _STORED_QUALITY)


def _check_only_an_image(data: bytes, kind: str) -> None:
    """Raise _TrailingData when the bytes hold anything besides the image; _Damaged when the image is cut short."""
    if _MARKUP.search(data):
        raise _TrailingData
    if _ZIP_END_OF_DIRECTORY in data[-_ZIP_TAIL:]:
        raise _TrailingData
    if kind == "PNG":
        rest = data[_png_end(data) :]
    else:
        rest = data[_jpeg_end(data) :].lstrip(b"\x00")  # some encoders pad a JPEG with zero bytes
    if rest:
        raise _TrailingData


def _png_end(data: bytes) -> int:
    """Offset just after the IEND chunk, walking the chunks from the signature."""
    if not data.startswith(_PNG_SIGNATURE):
        raise _Damaged
    position = len(_PNG_SIGNATURE)
    while True:
        if position + 12 > len(data):
            raise _Damaged
        (length,) = struct.unpack_from(">I", data, position)
        chunk_type = data[position + 4 : position + 8]
        position += 12 + length
        if position > len(data):
            raise _Damaged
        if chunk_type == b"IEND":
            return position


def _jpeg_end(data: bytes) -> int:
    """Offset just after the final EOI, walking the marker segments (several frames in a row for MPO)."""
    position = 0
    while True:
        position = _jpeg_frame_end(data, position)
        following = len(data) - len(data[position:].lstrip(b"\x00"))
        if data.startswith(b"\xff\xd8", following):
            position = following
            continue
        return position


def _jpeg_frame_end(data: bytes, start: int) -> int:
    if not data.startswith(b"\xff\xd8", start):
        raise _Damaged
    position = start + 2
    size = len(data)
    while True:
        if position >= size or data[position] != 0xFF:
            raise _Damaged
        while position < size and data[position] == 0xFF:  # fill bytes before a marker
            position += 1
        if position >= size:
            raise _Damaged
        marker = data[position]
        position += 1
        if marker == 0xD9:  # EOI
            return position
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # restart markers and TEM stand alone
            continue
        if position + 2 > size:
            raise _Damaged
        (length,) = struct.unpack_from(">H", data, position)
        if length < 2:
            raise _Damaged
        position += length
        if position > size:
            raise _Damaged
        if marker == 0xDA:  # start of scan: entropy-coded data runs until the next real marker
            found = _JPEG_MARKER_IN_SCAN.search(data, position)
            if found is None:
                raise _Damaged
            position = found.start()


_STRICT = threading.Lock()


@contextlib.contextmanager
def _strict_decoding():
    """Refuse an image with pixels missing, whatever the process says: importing WeasyPrint (the PDFs) sets
    Pillow's process-wide ``LOAD_TRUNCATED_IMAGES``, which would accept a photo cut short. Set back at once."""
    with _STRICT:
        before = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = before


def _decoded_rgb(image: Image.Image) -> Image.Image:
    """Every pixel decoded (a broken file fails here, not later), turned upright, RGB, at most STORED_SIDE."""
    side = policy.VCARD_PHOTO_STORED_SIDE
    if image.format in ("JPEG", "MPO"):
        image.draft("RGB", (side, side))  # let libjpeg decode at 1/2, 1/4 or 1/8 scale when the photo is large
    with _strict_decoding():
        image.load()
    upright = ImageOps.exif_transpose(image)
    if upright.mode in ("I", "F") or upright.mode.startswith("I;16"):
        # 16-bit greyscale PNG: keep the top 8 bits instead of letting conversion clip everything to white.
        upright = upright.convert("I").point(lambda value: value / 256).convert("L")
    if upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info):
        # Transparent parts become white, as on a printed form, not the black a plain conversion gives.
        rgba = upright.convert("RGBA")
        picture = Image.new("RGB", rgba.size, (255, 255, 255))
        picture.paste(rgba, mask=rgba.getchannel("A"))
    else:
        picture = upright.convert("RGB")
    picture.thumbnail((side, side), Image.Resampling.LANCZOS)
    return picture


def _encode_jpeg(picture: Image.Image, quality: int) -> bytes:
    """A fresh JPEG of the pixels alone: Pillow would otherwise carry a source comment over from ``info``."""
    picture.info.clear()
    output = io.BytesIO()
    picture.save(output, format="JPEG", quality=quality, optimize=True)
    return output.getvalue()


# --- the folder ------------------------------------------------------------------------------------------------


def _root() -> Path:
    return Path(settings.VCARD_PHOTO_DIR)


def _path(name: str) -> Path:
    match = _NAME.match(name) if isinstance(name, str) else None
    if match is None or match["folder"] != match["hex"][:2]:
        raise ValueError("not a stored photo name")
    return _root() / match["folder"] / f"{match['hex']}.jpg"


def _private_folder(path: Path) -> None:
    """Create a folder only its owner can enter (mkdir's mode is cut by the umask, hence the chmod)."""
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        return
    os.chmod(path, 0o700)


def _write_new(jpeg: bytes) -> str:
    """Write under a fresh random name through a temporary file, so a reader never sees half a photo."""
    hex_name = uuid.uuid4().hex
    name = f"{hex_name[:2]}/{hex_name}.jpg"
    target = _path(name)
    root = _root()
    root.parent.mkdir(parents=True, exist_ok=True)
    _private_folder(root)
    _private_folder(target.parent)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-", suffix=".part")  # mode 0600
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(jpeg)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return name
