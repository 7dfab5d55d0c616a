"""Photos of a virtual-card application: what is kept (a clean JPEG) and what is refused before anything is written."""

from __future__ import annotations

import base64
import io
import stat
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import ExifTags, Image, ImageCms

from healthbank import policy
from healthbank.vcard import photos
from healthbank.vcard.photos import PhotoRefused

FIELD = "document_photo"


@pytest.fixture(autouse=True)
def _in_english():
    """The messages are asserted in English; the Chinese ones come from the same catalogue entries."""
    with translation.override("en"):
        yield


def test_the_reasons_are_told_in_chinese_by_default(tmp_path, settings):
    settings.VCARD_PHOTO_DIR = tmp_path
    with translation.override("zh-hant"), pytest.raises(PhotoRefused) as refused:
        photos.store_photo(io.BytesIO(b"not a picture at all"), field=FIELD)
    assert refused.value.field == FIELD and "JPEG" in refused.value.message and "僅接受" in refused.value.message


@pytest.fixture
def photo_dir(settings, tmp_path) -> Path:
    """A folder of this test's own, so "nothing was written" is not disturbed by other tests' photos."""
    settings.VCARD_PHOTO_DIR = tmp_path / "vcard-photos"
    return settings.VCARD_PHOTO_DIR


def picture(size: tuple[int, int] = (400, 300), mode: str = "RGB") -> Image.Image:
    """Not a flat colour: a gradient compresses like a photo's smooth areas and shows which way is up."""
    return Image.linear_gradient("L").resize(size).convert(mode)


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    output = io.BytesIO()
    image.save(output, format=fmt, **options)
    return output.getvalue()


def jpeg_bytes(size: tuple[int, int] = (400, 300), **options) -> bytes:
    return encoded(picture(size), "JPEG", **options)


def png_bytes(size: tuple[int, int] = (400, 300), mode: str = "RGB") -> bytes:
    return encoded(picture(size, mode), "PNG")


def png_header_only(width: int, height: int, pixel_data: bytes | None = None) -> bytes:
    """A PNG that claims a size and holds almost nothing: what a decompression bomb looks like before decoding."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64) if pixel_data is None else pixel_data)
        + chunk(b"IEND", b"")
    )


def files_in(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def refused(data: bytes | object, photo_dir: Path, field: str = FIELD) -> PhotoRefused:
    upload = io.BytesIO(data) if isinstance(data, bytes) else data
    with pytest.raises(PhotoRefused) as caught:
        photos.store_photo(upload, field=field)
    assert caught.value.field == field
    assert caught.value.message
    assert files_in(photo_dir) == [], "a refused photo must leave nothing behind"
    return caught.value


def stored_image(name: str) -> Image.Image:
    image = Image.open(io.BytesIO(photos.read_photo(name)))
    image.load()
    return image


# --- what is kept -----------------------------------------------------------------------------------------------


def test_a_phone_photo_is_kept_without_its_location_or_any_other_metadata(photo_dir):
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = "Test Phone"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (25.0, 2.0, 30.0)}
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    upload = jpeg_bytes(exif=exif, comment=b"taken at home", icc_profile=srgb)
    assert Image.open(io.BytesIO(upload)).getexif().get_ifd(ExifTags.IFD.GPSInfo), "the upload does carry GPS"

    name = photos.store_photo(io.BytesIO(upload), field=FIELD)

    kept = stored_image(name)
    assert kept.format == "JPEG"
    assert kept.size == (400, 300)
    assert dict(kept.getexif()) == {}
    assert kept.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert not {"exif", "comment", "icc_profile", "xmp"} & set(kept.info)
    assert b"Test Phone" not in photos.read_photo(name)


def test_the_stored_name_is_random_and_the_file_private(photo_dir):
    first = photos.store_photo(io.BytesIO(jpeg_bytes()), field=FIELD)
    second = photos.store_photo(io.BytesIO(jpeg_bytes()), field=FIELD)

    assert first != second
    for name in (first, second):
        folder, file_name = name.split("/")
        assert len(file_name) == 36 and file_name.endswith(".jpg") and file_name.startswith(folder)
        path = photo_dir / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(photo_dir.stat().st_mode) == 0o700
    assert sorted(files_in(photo_dir)) == sorted(photo_dir / name for name in (first, second)), "no temporary files"


def test_a_django_upload_is_judged_by_its_bytes_not_its_name(photo_dir):
    jpeg_named_gif = SimpleUploadedFile("photo.gif", jpeg_bytes(), content_type="image/gif")
    assert photos.store_photo(jpeg_named_gif, field=FIELD)

    gif_named_jpeg = SimpleUploadedFile("photo.jpg", encoded(picture(), "GIF"), content_type="image/jpeg")
    with pytest.raises(PhotoRefused, match="Only JPEG or PNG"):
        photos.store_photo(gif_named_jpeg, field="portrait")


def test_an_upload_already_read_by_a_form_is_read_from_the_start(photo_dir):
    upload = SimpleUploadedFile("photo.jpg", jpeg_bytes(), content_type="image/jpeg")
    upload.read()
    assert stored_image(photos.store_photo(upload, field=FIELD)).size == (400, 300)


def test_a_transparent_png_becomes_an_rgb_jpeg_on_white(photo_dir):
    image = picture((300, 300), "RGBA")
    image.putalpha(Image.new("L", image.size, 0))  # wholly transparent: its colour would be black without a backdrop
    name = photos.store_photo(io.BytesIO(encoded(image, "PNG")), field="portrait")

    kept = stored_image(name)
    assert kept.format == "JPEG" and kept.mode == "RGB"
    assert all(channel > 240 for channel in kept.getpixel((150, 150)))


def test_a_large_photo_is_scaled_down_to_the_stored_side(photo_dir):
    side = policy.VCARD_PHOTO_STORED_SIDE
    name = photos.store_photo(io.BytesIO(jpeg_bytes((side * 3, side))), field=FIELD)
    assert stored_image(name).size == (side, side // 3)

    tall_png = photos.store_photo(io.BytesIO(png_bytes((side // 2, side * 2))), field=FIELD)
    assert stored_image(tall_png).size == (side // 4, side)


def test_the_camera_orientation_is_applied(photo_dir):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # held upright, stored sideways
    name = photos.store_photo(io.BytesIO(jpeg_bytes((400, 300), exif=exif)), field="portrait")
    assert stored_image(name).size == (300, 400)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(encoded(picture(), "JPEG", progressive=True), id="progressive jpeg"),
        pytest.param(encoded(picture(), "JPEG", restart_marker_blocks=1), id="jpeg with restart markers"),
        pytest.param(encoded(picture(), "JPEG", subsampling=0, quality=100), id="jpeg without subsampling"),
        pytest.param(encoded(picture(mode="CMYK"), "JPEG"), id="cmyk jpeg"),
        pytest.param(encoded(picture(mode="L"), "JPEG"), id="greyscale jpeg"),
        pytest.param(encoded(picture().convert("I").point(lambda v: v * 256).convert("I;16"), "PNG"), id="16-bit png"),
        pytest.param(encoded(picture(mode="P"), "PNG", transparency=0), id="palette png"),
        pytest.param(encoded(picture(mode="1"), "PNG"), id="black and white png"),
    ],
)
def test_the_many_shapes_of_a_real_photo_are_kept_as_rgb_jpeg(photo_dir, data):
    kept = stored_image(photos.store_photo(io.BytesIO(data), field=FIELD))
    assert (kept.format, kept.mode, kept.size) == ("JPEG", "RGB", (400, 300))
    top, bottom = kept.getpixel((200, 5)), kept.getpixel((200, 294))
    assert bottom[0] - top[0] > 200, "the picture survives (dark top, light bottom), not a flat clip"


def test_a_jpeg_padded_with_zeros_or_followed_by_a_second_frame_is_still_a_photo(photo_dir):
    """Some encoders pad with zero bytes; Ultra HDR and MPO cameras put further JPEG frames after the first."""
    assert photos.store_photo(io.BytesIO(jpeg_bytes() + b"\x00" * 64), field=FIELD)
    assert photos.store_photo(io.BytesIO(jpeg_bytes() + jpeg_bytes((200, 200))), field=FIELD)


def test_the_card_photo_is_a_small_jpeg_data_url(photo_dir):
    name = photos.store_photo(io.BytesIO(jpeg_bytes((1600, 1000))), field="portrait")

    url = photos.card_photo_data_url(name)

    prefix = "data:image/jpeg;base64,"
    assert url.startswith(prefix)
    card = Image.open(io.BytesIO(base64.b64decode(url[len(prefix) :])))
    assert card.format == "JPEG"
    assert max(card.size) <= policy.VCARD_CARD_PHOTO_SIDE
    assert max(card.size) == policy.VCARD_CARD_PHOTO_SIDE, "scaled to fit, not to a thumbnail"
    assert max(Image.open(io.BytesIO(photos.card_photo_jpeg(name, side=100))).size) == 100


def test_a_deleted_photo_is_gone_and_deleting_twice_is_fine(photo_dir):
    name = photos.store_photo(io.BytesIO(jpeg_bytes()), field=FIELD)
    photos.delete_photo(name)
    photos.delete_photo(name)
    with pytest.raises(FileNotFoundError):
        photos.read_photo(name)


def test_a_failed_write_leaves_no_half_file(photo_dir, monkeypatch):
    def disk_full(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(photos.os, "replace", disk_full)
    with pytest.raises(OSError):
        photos.store_photo(io.BytesIO(jpeg_bytes()), field=FIELD)
    assert files_in(photo_dir) == []


@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "../../etc/passwd",
        "ab/../../secret.jpg",
        "/etc/passwd",
        "ab/" + "0" * 32 + ".jpg",  # folder not matching the name
        "00/" + "0" * 32 + ".png",
        "0A/0A" + "0" * 30 + ".jpg",
        "00/" + "0" * 32 + ".jpg\n",
        "",
    ],
)
def test_names_we_would_not_have_made_are_refused(photo_dir, name):
    with pytest.raises(ValueError):
        photos.read_photo(name)
    with pytest.raises(ValueError):
        photos.delete_photo(name)


# --- what is refused --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"This is my ID card, honestly.\n" * 20, id="plain text"),
        pytest.param(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", id="pdf"),
        pytest.param(encoded(picture(), "GIF"), id="gif"),
        pytest.param(encoded(picture(), "WEBP"), id="webp"),
        pytest.param(encoded(picture(), "BMP"), id="bmp"),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400"><rect width="400" height="400"/></svg>',
            id="svg",
        ),
        pytest.param(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200, id="heic"),
        pytest.param(b"", id="empty"),
    ],
)
def test_anything_but_jpeg_or_png_is_refused(photo_dir, data):
    assert "Only JPEG or PNG" in refused(data, photo_dir).message


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(jpeg_bytes()[: len(jpeg_bytes()) // 2], id="jpeg cut in half"),
        pytest.param(jpeg_bytes()[:-2], id="jpeg without its end marker"),
        pytest.param(png_bytes()[: len(png_bytes()) - 20], id="png cut short"),
        pytest.param(png_header_only(400, 300), id="png with too little pixel data"),
        pytest.param(png_header_only(400, 300, pixel_data=bytes(range(256)) * 2), id="png with garbage pixel data"),
    ],
)
def test_a_truncated_image_is_refused(photo_dir, data):
    assert "damaged or incomplete" in refused(data, photo_dir, field="portrait").message


def test_a_jpeg_that_is_also_a_zip_is_refused(photo_dir):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("payload.html", "<p>hello</p>")
    polyglot = jpeg_bytes() + archive.getvalue()
    assert zipfile.is_zipfile(io.BytesIO(polyglot)), "the test file really opens as a ZIP"

    assert "more than a photo" in refused(polyglot, photo_dir).message


def test_a_zip_hidden_inside_the_jpeg_is_refused(photo_dir):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("a.txt", "x")
    data = jpeg_bytes((200, 200), comment=archive.getvalue())
    assert "more than a photo" in refused(data, photo_dir).message


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(png_bytes() + b"<script>alert(document.cookie)</script>", id="png + script"),
        pytest.param(png_bytes() + b"any trailing bytes", id="png + bytes after IEND"),
        pytest.param(jpeg_bytes() + b"\x00\x00junk", id="jpeg + bytes after EOI"),
        pytest.param(jpeg_bytes(comment=b"<HTML><body>hi</body>"), id="html inside a jpeg comment"),
        pytest.param(jpeg_bytes(comment=b"<?php system($_GET['c']); ?>"), id="php inside a jpeg comment"),
        pytest.param(jpeg_bytes(comment=b"<!DOCTYPE html>"), id="doctype inside a jpeg comment"),
        pytest.param(jpeg_bytes(comment=b"<svg/onload=alert(1)>"), id="svg inside a jpeg comment"),
    ],
)
def test_an_image_carrying_something_else_is_refused(photo_dir, data):
    assert "more than a photo" in refused(data, photo_dir).message


class EndlessUpload:
    """40 MB served from a generator, one chunk at a time: the test never holds it, and counts what was read."""

    def __init__(self, total: int):
        self.read_so_far = 0
        self._chunks = self._generate(total)
        self._pending = b""

    @staticmethod
    def _generate(total: int):
        chunk = jpeg_bytes()
        chunk += b"\x00" * (64 * 1024 - len(chunk) % (64 * 1024))
        served = 0
        while served < total:
            yield chunk
            served += len(chunk)

    def read(self, size: int = -1) -> bytes:
        assert size is not None and size >= 0, "an unbounded read would take the whole upload"
        while len(self._pending) < size:
            more = next(self._chunks, b"")
            if not more:
                break
            self._pending += more
        data, self._pending = self._pending[:size], self._pending[size:]
        self.read_so_far += len(data)
        return data


def test_a_40_mb_upload_is_refused_after_reading_just_past_the_limit(photo_dir):
    upload = EndlessUpload(40 * 1024 * 1024)

    message = refused(upload, photo_dir).message

    assert f"larger than {policy.VCARD_PHOTO_MAX_BYTES // (1024 * 1024)} MB" in message
    assert upload.read_so_far <= policy.VCARD_PHOTO_MAX_BYTES + 1


def test_an_upload_declaring_a_size_over_the_limit_is_not_read_at_all(photo_dir):
    class Declared:
        size = 40 * 1024 * 1024

        def read(self, size: int = -1) -> bytes:
            raise AssertionError("read although the declared size is over the limit")

    assert "larger than" in refused(Declared(), photo_dir).message


def test_an_upload_of_exactly_the_limit_is_not_refused_for_its_size(photo_dir):
    data = jpeg_bytes()
    data += b"\x00" * (policy.VCARD_PHOTO_MAX_BYTES - len(data))
    assert photos.store_photo(io.BytesIO(data), field=FIELD)


@pytest.mark.parametrize(
    ("width", "height"),
    [
        pytest.param(8_000, 6_000, id="over our limit"),
        pytest.param(10_000, 10_000, id="where Pillow warns"),
        pytest.param(100_000, 100_000, id="where Pillow refuses"),
    ],
)
def test_a_pixel_bomb_is_refused_from_its_header(photo_dir, width, height):
    assert width * height > policy.VCARD_PHOTO_MAX_PIXELS
    assert "too many pixels" in refused(png_header_only(width, height), photo_dir, field="portrait").message


@pytest.mark.parametrize("size", [(50, 50), (policy.VCARD_PHOTO_MIN_SIDE - 1, 1000)])
def test_a_tiny_photo_is_refused(photo_dir, size):
    message = refused(jpeg_bytes(size), photo_dir, field="portrait").message
    assert "too small to show" in message
    assert str(policy.VCARD_PHOTO_MIN_SIDE) in message
