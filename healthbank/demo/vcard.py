"""The virtual NHI card in the demo (issue 10): cards for the registered demo people, one application left for
the operator's review queue, and the lines ``generate_population --demo-logins`` prints about it.

Everything goes through the card's own services (``submit_application``, ``approve_application``), so a demo
card is exactly what a reviewed online application makes: its photos pass ``photos.store_photo`` like any
upload. The photos are drawn here and are plainly synthetic (a coloured silhouette marked DEMO; a card marked
樣本 SPECIMEN carrying only the masked name and masked ID), so no picture of a real face or document is ever
needed, and no full national ID is ever drawn.

Running it again finds what exists and adds nothing: a person who has any application already is left as the
demo left them (an operator may have approved, rejected or stopped it since).
"""

from __future__ import annotations

import colorsys
import csv
import functools
import hashlib
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from healthbank import policy
from healthbank.access.models import Grant
from healthbank.accounts.models import OnlineAccount
from healthbank.external import carriers
from healthbank.identity.models import Person
from healthbank.records.models import Institution
from healthbank.vcard import photos, services
from healthbank.vcard.models import CardApplication
from healthbank.vcard.selectors import household_members

PORTRAIT_SIZE = (600, 800)  # a phone's half-body photo, portrait, above the 200-pixel minimum
DOCUMENT_SIZE = (1200, 800)  # a phone photo of a card lying on a table
CARD_RATIO = 85.6 / 54  # ID-1, the size of an ID card and an NHI card
PARENT_ROLE = "parent"  # the showcase label whose person opens a child's passbook too

# Fonts that draw Traditional Chinese, found by file name in the system's font folders (Debian's Noto CJK,
# which the doctor's summary PDF uses too; macOS; Windows). Without one the pictures carry Latin text only.
CJK_FONT_FILES = (
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJK-Bold.ttc",
    "NotoSansCJKtc-Regular.otf",
    "NotoSansTC-Regular.otf",
    "NotoSansTC-Regular.ttf",
    "PingFang.ttc",
    "msjh.ttc",
)


# ---------------------------------------------------------------- the pictures


@functools.cache
def _cjk_font_face() -> tuple[str, int] | None:
    """The first Chinese font file found, and the index of its Traditional Chinese face in a collection."""
    for name in CJK_FONT_FILES:
        try:
            ImageFont.truetype(name, 12)
        except OSError:
            continue
        for index in range(10):  # a .ttc holds several faces: prefer the Traditional Chinese one
            try:
                family, _style = ImageFont.truetype(name, 12, index=index).getname()
            except OSError:
                break
            if family and (" TC" in family or "JhengHei" in family or "PingFang TC" in family):
                return name, index
        return name, 0
    return None


def _font(size: int, chinese: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont | None:
    """A font of ``size`` pixels; for Chinese text ``None`` when the machine has no Chinese font."""
    face = _cjk_font_face()
    if face is not None:
        return ImageFont.truetype(face[0], size, index=face[1])
    return None if chinese else ImageFont.load_default(size)


def _person_colour(person: Person) -> tuple[int, int, int]:
    """A colour of the person's own, from their random id: the same person looks the same on every run."""
    digest = hashlib.sha256(str(person.pk).encode()).digest()
    hue = int.from_bytes(digest[:4], "big") / 2**32
    red, green, blue = colorsys.hls_to_rgb(hue, 0.42, 0.45)
    return round(red * 255), round(green * 255), round(blue * 255)


def _silhouette(size: tuple[int, int], colour: tuple[int, int, int], background: tuple[int, int, int]) -> Image.Image:
    """Head and shoulders on a plain background, framed as on a passport photo; cut at the picture's edges."""
    width, height = size
    picture = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(picture)
    centre = width / 2
    head_w, head_h = width * 0.4, height * 0.4
    head_top = height * 0.18
    draw.ellipse([centre - width * 0.46, height * 0.72, centre + width * 0.46, height * 1.45], fill=colour)
    draw.rectangle([centre - width * 0.09, head_top + head_h * 0.7, centre + width * 0.09, height * 0.8], fill=colour)
    draw.ellipse([centre - head_w / 2, head_top, centre + head_w / 2, head_top + head_h], fill=colour)
    return picture


def _png(picture: Image.Image) -> bytes:
    output = io.BytesIO()
    picture.save(output, format="PNG")
    return output.getvalue()


def portrait_png(person: Person) -> bytes:
    """A front half-body "photo": a plain background, a silhouette in the person's colour, DEMO in a corner."""
    width, height = PORTRAIT_SIZE
    picture = _silhouette(PORTRAIT_SIZE, _person_colour(person), (231, 236, 241))
    draw = ImageDraw.Draw(picture)
    draw.text((width - 24, height - 20), "DEMO", fill=(90, 96, 104), font=_font(28), anchor="rd")
    return _png(picture)


def document_png(person: Person, document: str) -> bytes:
    """A photographed ID document: a card marked 樣本 SPECIMEN with the masked name and masked ID, nothing more."""
    picture = Image.new("RGB", DOCUMENT_SIZE, (214, 205, 190))  # the table the card lies on
    draw = ImageDraw.Draw(picture)
    card_w = 1000
    card_h = round(card_w / CARD_RATIO)
    left, top = (DOCUMENT_SIZE[0] - card_w) // 2, (DOCUMENT_SIZE[1] - card_h) // 2
    nhi = document == CardApplication.Document.NHI_CARD
    band = (46, 125, 84) if nhi else (52, 94, 150)
    draw.rounded_rectangle(
        [left, top, left + card_w, top + card_h], radius=36, fill=(246, 244, 238), outline=band, width=4
    )
    draw.rounded_rectangle(
        [left, top, left + card_w, top + 96], radius=36, fill=band, corners=(True, True, False, False)
    )
    chinese = _font(40, chinese=True)
    title = (
        ("全民健康保險 NHI card" if nhi else "中華民國國民身分證 ID card")
        if chinese
        else ("NHI card" if nhi else "ID card")
    )
    draw.text((left + 40, top + 48), title, fill="white", font=chinese or _font(40), anchor="lm")
    picture.paste(_silhouette((240, 300), _person_colour(person), (225, 230, 236)), (left + 40, top + 130))
    text_left = left + 330
    if chinese is not None:
        draw.text(
            (text_left, top + 170), f"姓名  {person.masked_name}", fill=(30, 30, 30), font=_font(48, chinese=True)
        )
    draw.text((text_left, top + 260), person.national_id_masked, fill=(30, 30, 30), font=_font(56))
    specimen = "樣本 SPECIMEN" if chinese is not None else "SPECIMEN"
    draw.text(
        (left + card_w - 40, top + card_h - 40),
        specimen,
        fill=(200, 30, 30),
        font=_font(72, chinese=chinese is not None),
        anchor="rd",
    )
    return _png(picture)


# ---------------------------------------------------------------- the applications


@dataclass
class VirtualCardDemo:
    """Who the demo gave a card, whose application waits, and the clinic whose printed key scans."""

    clinic: Institution
    holders: list[Person] = field(default_factory=list)
    waiting: Person | None = None
    child: Person | None = None
    parent: Person | None = None


def _email(person: Person) -> str:
    account = OnlineAccount.objects.filter(person=person).values_list("email", flat=True).first()
    return account or f"demo.{str(person.pk)[-8:]}@example.tw"


def _mobile(person: Person) -> str:
    """The person's own number as the simulated carriers know it (post-paid first); a made-up one otherwise."""
    path = settings.EXTERNAL_DATA_DIR / carriers.FILE_NAME
    found: list[tuple[bool, str]] = []
    if path.exists():
        national_id = person.national_id
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["owner_national_id"] == national_id:
                    found.append((row["plan"] != carriers.Plan.POSTPAID, row["mobile"]))
    if found:
        return min(found)[1]
    digits = int.from_bytes(hashlib.sha256(str(person.pk).encode()).digest()[:8], "big") % 10**8
    return f"09{digits:08d}"


def _submit(applicant: Person, person: Person) -> CardApplication:
    """Apply as the app would: under 14 the NHI card's front and no half-body photo, else ID card and photo."""
    young = person.age_on(timezone.localdate()) < policy.VCARD_PHOTO_ID_OPTIONAL_UNDER_AGE
    document = CardApplication.Document.NHI_CARD if young else CardApplication.Document.NATIONAL_ID_CARD
    return services.submit_application(
        applicant,
        person,
        terms_accepted=True,
        document=document,
        document_photo=io.BytesIO(document_png(person, document)),
        portrait=None if young else io.BytesIO(portrait_png(person)),
        phone=_mobile(applicant),
        email=_email(applicant),
    )


def _give_card(applicant: Person, person: Person) -> None:
    """An approved card (reviewed by nobody: the demo's set-up), unless the person has any application already."""
    if CardApplication.objects.filter(person=person).exists():
        return
    application = None
    try:
        with transaction.atomic():
            application = _submit(applicant, person)
            services.approve_application(None, application)
    except BaseException:
        if application is not None:  # the row is rolled back; its photos were written before it
            for name in (application.document_photo, application.portrait):
                if name:
                    photos.delete_photo(name)
        raise


def _leave_waiting(person: Person) -> None:
    if not CardApplication.objects.filter(person=person).exists():
        _submit(person, person)


def _child_of(parent: Person) -> Person | None:
    """The parent's child under 15 in their NHI household: one already applied for, else the eldest who can
    apply with the NHI card's front (under 14), else the eldest."""
    today = timezone.localdate()
    grants = (
        Grant.objects.filter(why=Grant.Why.CHILD_UNDER_15, grantee_person=parent, valid_until__gt=timezone.now())
        .select_related("person")
        .order_by("person__birth_date", "pk")
    )
    members = {m.pk for m in household_members(parent, today)}
    children = [g.person for g in grants if g.person_id in members]
    applied = [c for c in children if CardApplication.objects.filter(person=c, applicant=parent).exists()]
    under_14 = [c for c in children if c.age_on(today) < policy.VCARD_PHOTO_ID_OPTIONAL_UNDER_AGE]
    return (applied or under_14 or children or [None])[0]


def set_up_virtual_cards(registered: list[tuple[str, Person]], clinic: Institution) -> VirtualCardDemo:
    """Cards for the registered demo people, in showcase order: each an approved card except the last (when
    there are two or more), whose application waits for an operator; the parent's child a card the parent
    applied for on the child's behalf. The demo key's clinic accepts the virtual card, so its key scans."""
    if not clinic.accepts_virtual_card:
        clinic.accepts_virtual_card = True
        clinic.save(update_fields=["accepts_virtual_card"])
    demo = VirtualCardDemo(clinic=clinic)
    people = [person for _role, person in registered]
    if len(people) >= 2:
        demo.waiting = people[-1]
        people = people[:-1]
    for person in people:
        _give_card(person, person)
        demo.holders.append(person)
    if demo.waiting is not None:
        _leave_waiting(demo.waiting)
    demo.parent = next((person for role, person in registered if role == PARENT_ROLE), None)
    if demo.parent is not None:
        demo.child = _child_of(demo.parent)
        if demo.child is not None:
            _give_card(demo.parent, demo.child)
    return demo


# ---------------------------------------------------------------- what the demo prints


def _state(person: Person) -> str:
    latest = CardApplication.objects.filter(person=person).order_by("-submitted_at").first()
    if latest is None:
        return "no application"
    return {
        CardApplication.Status.APPROVED: "card approved",
        CardApplication.Status.SUBMITTED: "application waiting for review",
        CardApplication.Status.REJECTED: "application rejected (apply again at /vcard/apply/)",
        CardApplication.Status.WITHDRAWN: "card stopped",
    }[latest.status]


def describe_virtual_cards(demo: VirtualCardDemo, site: str) -> list[str]:
    """The "Virtual NHI card" lines of the demo's printout: masked names and IDs only."""
    minutes = int(policy.VCARD_QR_VALID_FOR.total_seconds() // 60)
    lines = [f"  Virtual NHI card: log in as a * person above, then {site}/vcard/"]
    for person in demo.holders:
        lines.append(
            f"    {person.masked_name:6} {person.national_id_masked:11} {_state(person)}:"
            f" 'Show QR code' makes a code valid {minutes} minutes and one scan"
        )
    if demo.child is not None and demo.parent is not None:
        age = demo.child.age_on(timezone.localdate())
        lines.append(
            f"    {demo.child.masked_name:6} {demo.child.national_id_masked:11} (age {age}) {_state(demo.child)},"
            f" applied for by the parent {demo.parent.masked_name}: shown from the parent's page"
            " under 'Cards I can use'"
        )
    if demo.waiting is not None:
        lines.append(
            f"    {demo.waiting.masked_name:6} {demo.waiting.national_id_masked:11} {_state(demo.waiting)}"
            " (review it as the operator, then show its QR)"
        )
    lines.append(f"    Operator review queue  {site}/admin/vcard/cardapplication/")
    accepting = Institution.objects.filter(accepts_virtual_card=True, listed=True).count()
    lines += [
        f"    Counter scan page  {site}/vcard/counter/  paste the demo API key above"
        f" ({demo.clinic.code} {demo.clinic.name}, accepts the virtual card)",
        f"    Institutions that accept the card  {site}/vcard/institutions/  ({accepting} listed)",
        f"    Public keys of the QR signatures (JWKS)  {site}/api/vcard/v1/keys",
    ]
    return lines
