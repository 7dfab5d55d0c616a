"""What the passbook's selectors share: opening a category, names in the reader's language."""

from __future__ import annotations

from healthbank.access.services import NotReadable, note_refused, open_for_reading
from healthbank.audit.models import AccessLog
from healthbank.core import codes
from healthbank.core.categories import DataCategory

from ..viewing import Viewing

Category = DataCategory


def open_category(viewing: Viewing, category: str, *, detail: str = "", what: str = AccessLog.What.PASSBOOK) -> None:
    """Check and log one category of the viewing's person (once per request); 404 when not readable."""
    if category in viewing.opened:
        return
    open_for_reading(viewing.reader, viewing.person, category, detail=detail, what=what)
    viewing.opened.add(category)


def refuse_foreign_record(viewing: Viewing, model, record_id, category: str) -> NotReadable:
    """A record id that is not the viewing person's: log the attempt against its owner, answer 404."""
    owner = model.objects.filter(pk=record_id).values_list("person_id", flat=True).first()
    if owner is not None and owner != viewing.person.pk:
        note_refused(viewing.reader, owner, category)
    return NotReadable()


def institution_name(institution, viewing: Viewing) -> str:
    if institution is None:
        return ""
    if not viewing.chinese and institution.name_en:
        return institution.name_en
    return institution.name


def diagnosis(code: str, viewing: Viewing) -> dict:
    known = codes.diagnoses().get(code)
    name = ""
    if known is not None:
        name = known.name_zh if viewing.chinese else known.name_en
    return {"code": code, "name": name}


def drug(code: str, viewing: Viewing) -> dict:
    known = codes.drugs().get(code)
    if known is None:
        return {"code": code, "name": "", "atc": "", "atc_class": ""}
    atc_class = known.atc_class_zh if viewing.chinese else known.atc_name_en
    return {"code": code, "name": known.name, "atc": known.atc_code, "atc_class": atc_class}


def payment_item(code: str, viewing: Viewing) -> dict:
    known = codes.payment_codes().get(code)
    if known is None:
        return {"code": code, "name": ""}
    name = known.name_zh
    english = getattr(known, "name_en", "")
    if not viewing.chinese and english:
        name = english
    return {"code": code, "name": name}
