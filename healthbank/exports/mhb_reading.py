"""Reading a My Health Bank download (reference/myhealthbank) into one plain shape, refusing what is not one.

``read_download`` takes the uploaded bytes as they are: a zip (by its magic bytes, ZipCrypto or AES, with its
password) or a bare JSON or XML file, and returns::

    {"b1.1": "A12345****", "b1.2": "20150301", "r0": [...], "r1": [row, ...], ..., "r14": [...]}

Every row is a dict with lower-case keys (``R12_1.3`` → ``r12_1.3``) whose values are text or ``None`` (numbers
become their text, ``""`` becomes ``None``), and whose child sections (``r1_1`` …) are lists of such rows. What real
downloads do beyond the NHI's document (README) is tolerated here so the importer sees only this shape: the BOM,
raw control characters inside JSON strings, ``[{"r2": "無資料"}]`` placeholders, upper-case keys, a section given
as one object instead of a list, the XML form. Every refusal is one ``ImportRefused`` naming the field and why.
"""

from __future__ import annotations

import io
import json
import re
import zlib
from decimal import Decimal, InvalidOperation

import pyzipper
from django.utils.translation import gettext as _
from lxml import etree

from healthbank import policy

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
BOM = b"\xef\xbb\xbf"
CHUNK = 64 * 1024
NO_DATA = "無資料"  # the NHI's placeholder row of an empty section
SECTION = re.compile(r"^r(\d{1,2})$")
CHILD = re.compile(r"^r(\d{1,2})_(\d{1,2})$")
SECTIONS = tuple(f"r{n}" for n in range(15))  # r0 (the download declaration) to r14


class ImportRefused(Exception):
    """The upload cannot be imported: ``field`` names what is wrong (file, password, b1.1 …), ``reason`` why."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def read_download(data: bytes, file_name: str, password: str | None = None) -> dict:
    """The download in ``data`` (a zip, JSON or XML) normalised into one shape; ``ImportRefused`` if it cannot be.

    ``file_name`` is only used in messages; what the file is comes from its content.
    """
    if len(data) > policy.IMPORT_MAX_UPLOAD_BYTES:
        raise ImportRefused(
            "file",
            _("The file is larger than %(limit)d MB.") % {"limit": policy.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)},
        )
    if not data.strip():
        raise ImportRefused("file", _("The file is empty."))
    if data.startswith(ZIP_MAGIC):
        documents = _documents_in_zip(data, password)
    else:
        document = parse_document(data)
        if document is None:
            raise ImportRefused("file", _("%(name)s is not a My Health Bank download.") % {"name": file_name})
        documents = [document]
    return merge(documents)


# --- zips ------------------------------------------------------------------------------------------------------


def _refuse_bad_password(password: str | None):
    if password:
        return ImportRefused("password", _("The password does not open this file."))
    return ImportRefused("password", _("This file is protected by a password: give its password."))


def _documents_in_zip(data: bytes, password: str | None) -> list[dict]:
    try:
        archive = pyzipper.AESZipFile(io.BytesIO(data))
    except (pyzipper.BadZipFile, ValueError, OSError, EOFError) as error:
        raise ImportRefused("file", _("The zip file is damaged and cannot be opened.")) from error
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        _check_declared_sizes(members)
        candidates = [m for m in members if _looks_like_download(m.filename)]
        if not candidates:
            raise ImportRefused("file", _("The zip holds no My Health Bank JSON or XML file."))
        pwd = password.encode("utf-8") if password else None
        budget = [policy.IMPORT_MAX_UNZIPPED_BYTES]
        found: dict[str, list[dict]] = {"json": [], "xml": []}
        for member in sorted(candidates, key=lambda m: m.filename):
            document = parse_document(_read_member(archive, member, pwd, budget))
            if document is not None:
                found[document.pop("_form")].append(document)
    # Our own package may hold the same data as JSON and as XML: the JSON form is the complete one (r9–r14).
    documents = found["json"] or found["xml"]
    if not documents:
        raise ImportRefused("file", _("The zip holds no My Health Bank JSON or XML file."))
    return documents


def _looks_like_download(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return not name.startswith("__MACOSX/") and not base.startswith(".") and base.lower().endswith((".json", ".xml"))


def _check_declared_sizes(members) -> None:
    """Refuse a zip bomb by what its directory declares, before anything is inflated."""
    if len(members) > policy.IMPORT_MAX_ZIP_MEMBERS:
        raise ImportRefused(
            "file", _("The zip holds more than %(count)d files.") % {"count": policy.IMPORT_MAX_ZIP_MEMBERS}
        )
    if sum(m.file_size for m in members) > policy.IMPORT_MAX_UNZIPPED_BYTES:
        raise ImportRefused("file", _("The zip's content is too large once unpacked."))
    for member in members:
        if member.file_size > policy.IMPORT_MAX_RATIO * max(member.compress_size, 1):
            raise ImportRefused("file", _("The zip's content is compressed suspiciously well (a zip bomb)."))


def _read_member(archive, member, pwd: bytes | None, budget: list[int]) -> bytes:
    """The member's bytes, read in chunks and stopped as soon as the unpacked total passes the limit."""
    parts = []
    try:
        with archive.open(member, pwd=pwd) as stream:
            while chunk := stream.read(CHUNK):
                budget[0] -= len(chunk)
                if budget[0] < 0:
                    raise ImportRefused("file", _("The zip's content is too large once unpacked."))
                parts.append(chunk)
    except RuntimeError as error:  # zipfile and pyzipper: "password required" or "Bad password"
        raise _refuse_bad_password(pwd) from error
    except (pyzipper.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as error:
        if member.flag_bits & 0x1:
            # ZipCrypto's one-byte check lets 1 in 256 wrong passwords through: what follows is garbage.
            raise _refuse_bad_password(pwd) from error
        raise ImportRefused(
            "file", _("A file in the zip is not what the zip declares: it is damaged or a zip bomb.")
        ) from error
    return b"".join(parts)


# --- JSON and XML ----------------------------------------------------------------------------------------------


def parse_document(raw: bytes) -> dict | None:
    """A JSON or XML document's ``bdata`` (with ``_form``), ``None`` if it is another kind of JSON or XML.

    ``ImportRefused`` when the bytes are neither JSON nor XML, not UTF-8, or broken.
    """
    if raw.startswith(BOM):
        raw = raw[len(BOM) :]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportRefused("file", _("The file is not in UTF-8 (it is UTF-16)."))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ImportRefused("file", _("The file is not in UTF-8.")) from error
    text = text.lstrip()
    if text.startswith("{"):
        try:
            # strict=False: real downloads carry raw TABs and other control characters inside strings.
            tree = json.loads(text, strict=False)
        except (json.JSONDecodeError, RecursionError) as error:
            line = getattr(error, "lineno", 0)
            raise ImportRefused("file", _("The JSON is broken (line %(line)d).") % {"line": line}) from error
        form = "json"
    elif text.startswith("<"):
        tree = _xml_tree(raw)
        form = "xml"
    else:
        raise ImportRefused("file", _("The file is neither a zip nor JSON nor XML."))
    bdata = _bdata(tree)
    if bdata is None:
        return None
    document = normalise(bdata)
    document["_form"] = form
    return document


def _xml_tree(raw: bytes) -> dict:
    # No DTDs, no entities, no network: an upload must not make us fetch or expand anything.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as error:
        line = error.position[0] if error.position else 0
        raise ImportRefused("file", _("The XML is broken (line %(line)d).") % {"line": line}) from error
    return {_tag(root): _element(root)}


def _tag(element) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return etree.QName(tag).localname if tag else ""


def _element(element):
    """An element with children → a dict (a tag met more than once → a list); a leaf → its text."""
    children = [c for c in element if isinstance(c.tag, str)]
    if not children:
        return element.text
    grouped: dict[str, list] = {}
    for child in children:
        grouped.setdefault(_tag(child), []).append(_element(child))
    return {tag: values[0] if len(values) == 1 else values for tag, values in grouped.items()}


def _bdata(tree) -> dict | None:
    if not isinstance(tree, dict):
        return None
    root = _get(tree, "myhealthbank")
    if not isinstance(root, dict):
        return None
    bdata = _get(root, "bdata")
    return bdata if isinstance(bdata, dict) else None


def _get(mapping: dict, key: str):
    for k, v in mapping.items():
        if isinstance(k, str) and k.strip().lower() == key:
            return v
    return None


# --- one shape -------------------------------------------------------------------------------------------------


def normalise(bdata: dict) -> dict:
    """``bdata`` with lower-case keys, every section a list of rows, placeholders and unknown keys dropped."""
    out: dict = {}
    for key, value in bdata.items():
        name = str(key).strip().lower()
        if name in ("b1.1", "b1.2", "b2.1"):
            out[name] = scalar(value)
        elif SECTION.match(name) and name in SECTIONS:
            out.setdefault(name, []).extend(_rows(value, name))
    # The NHI's document names the download date b2.1; real downloads call it b1.2.
    if out.get("b1.2") is None and out.get("b2.1") is not None:
        out["b1.2"] = out["b2.1"]
    out.pop("b2.1", None)
    return out


def _rows(value, section: str) -> list[dict]:
    if isinstance(value, dict):
        value = [value]  # the document's own sample gives a one-row section as an object
    if not isinstance(value, list):
        return []
    rows = []
    for item in value:
        if isinstance(item, dict):
            row = _row(item, section)
            if row is not None:
                rows.append(row)
    return rows


def _row(item: dict, section: str) -> dict | None:
    row: dict = {}
    prefix, child_prefix = f"{section}.", f"{section}_"
    for key, value in item.items():
        name = str(key).strip().lower()
        if name.startswith(prefix):
            row[name] = scalar(value)
        elif CHILD.match(name) and name.startswith(child_prefix):
            row[name] = _rows(value, name)
        elif name.startswith(child_prefix) and "." in name:
            # r9_12 in the document's sample: a typo for r9.12 (a field, not a child list).
            row[name.replace("_", ".", 1)] = scalar(value)
    if not any(v not in (None, []) for v in row.values()):
        return None  # {"r2": "無資料"} and rows with nothing in them
    return row


def scalar(value) -> str | None:
    """A field's value as text: numbers as their shortest text, empty as ``None``."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return None
        return format(number, "f") if number.is_finite() else None
    # Control characters other than tab and line breaks carry nothing a person wrote; NUL cannot even be stored
    # in PostgreSQL text.
    text = _CONTROL.sub("", str(value))
    if not text.strip() or text.strip() == NO_DATA:
        return None
    return text


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def merge(documents: list[dict]) -> dict:
    """Several documents of one download (one file per category or month) as one; their b1.1 must agree."""
    ids = {d.get("b1.1") for d in documents if d.get("b1.1")}
    if len(ids) > 1:
        raise ImportRefused("b1.1", _("The files in the zip are for different people."))
    merged: dict = {"b1.1": next(iter(ids), None), "b1.2": None}
    for document in documents:
        document.pop("_form", None)
        merged["b1.2"] = merged["b1.2"] or document.get("b1.2")
        for key, rows in document.items():
            if key in SECTIONS:
                merged.setdefault(key, []).extend(rows)
    return merged
