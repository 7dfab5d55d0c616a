"""The person's records in the demo (issue 11, SPEC §10): earlier enrolment periods (a move from another unit,
or a withdrawal and a re-enrolment), mailing-address changes, and letters the NHI posted.

A share of the population gets each, drawn from the seed, so the enrolment records, the address history and
the notices pages have something to show. Runs once, right after the population is loaded.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from healthbank.core import codes
from healthbank.identity.models import Enrolment, InsuranceUnit, NhiCard
from healthbank.insurance.models import Letter, MailingAddress

EARLIER_PERIOD_SHARE = 0.4  # of the insured people who started work late enough to have worked before
ADDRESS_SHARE = 0.3  # of the adults: one or two mailing addresses
LETTER_SHARE = 0.5  # of the card holders: the card-mailed letter (and for some, an arrears notice)
ROADS = (
    "中山路",
    "中正路",
    "民生路",
    "民權路",
    "復興路",
    "建國路",
    "和平路",
    "光復路",
    "信義路",
    "仁愛路",
    "成功路",
    "文化路",
)


def _street(rng: random.Random) -> str:
    road = rng.choice(ROADS) + (rng.choice(("一段", "二段", "三段")) if rng.random() < 0.4 else "")
    lane = f"{rng.randint(1, 300)}巷" if rng.random() < 0.35 else ""
    floor = f"{rng.randint(2, 15)}樓" if rng.random() < 0.6 else ""
    return f"{road}{lane}{rng.randint(1, 400)}號{floor}"


def _place(rng: random.Random) -> tuple[str, str, str, str]:
    county = rng.choice(codes.counties())
    town = rng.choice(county["townships"])
    return county["name_zh"], town["name_zh"], rng.choice(town["villages"]), town["postal_code"]


def _earlier_periods(rng: random.Random, today: dt.date) -> None:
    units = list(InsuranceUnit.objects.filter(kind=InsuranceUnit.Kind.EMPLOYER).order_by("code"))
    if len(units) < 2:
        return
    added = []
    insured = Enrolment.objects.filter(role="insured", ended_on__isnull=True).select_related("person", "unit")
    for e in insured.order_by("started_on", "pk"):
        first_job = e.person.birth_date.replace(year=e.person.birth_date.year + 22, month=1, day=1)
        if e.started_on - first_job < dt.timedelta(days=800) or rng.random() >= EARLIER_PERIOD_SHARE:
            continue
        gap = 0 if rng.random() < 0.5 else rng.randint(30, 400)  # a transfer, or withdrawn then re-enrolled
        ended = e.started_on - dt.timedelta(days=1 + gap)
        started = ended - dt.timedelta(days=rng.randint(365, max(366, (ended - first_job).days)))
        started = max(started, first_job)
        if started >= ended:
            continue
        unit = rng.choice([u for u in units[:50] if u.pk != e.unit_id] or units)
        added.append(
            Enrolment(
                person=e.person,
                household_id=e.household_id,  # not ``e.household``: a query for each, the household being unread
                unit=unit,
                category=1,
                role="insured",
                relationship="self",
                insured_salary=max(26400, round(e.insured_salary * rng.uniform(0.6, 0.9) / 100) * 100),
                started_on=started,
                ended_on=ended,
            )
        )
    Enrolment.objects.bulk_create(added, batch_size=2000)


def _addresses(rng: random.Random, today: dt.date) -> None:
    rows = []
    adults = (
        Enrolment.objects.filter(ended_on__isnull=True)
        .values_list("person_id", "person__birth_date")
        .order_by("person_id")
        .distinct()
    )
    zone = timezone.get_current_timezone()
    for person_id, born in adults:
        if (today - born).days < 20 * 365 or rng.random() >= ADDRESS_SHARE:
            continue
        moves = 1 if rng.random() < 0.6 else 2
        start = today - dt.timedelta(days=rng.randint(400, 3000))
        for n in range(moves):
            county, township, village, postal = _place(rng)
            since = dt.datetime.combine(start, dt.time(rng.randint(8, 21), rng.randint(0, 59)), zone)
            end = None
            if n + 1 < moves:
                start = start + dt.timedelta(days=rng.randint(60, 380))
                end = dt.datetime.combine(start, dt.time(rng.randint(8, 21), rng.randint(0, 59)), zone)
            rows.append(
                MailingAddress(
                    person_id=person_id,
                    county=county,
                    township=township,
                    village=village,
                    postal_code=postal,
                    street=_street(rng),
                    valid_from=since,
                    valid_until=end,
                )
            )
    MailingAddress.objects.bulk_create(rows, batch_size=2000)


def _letters(rng: random.Random, today: dt.date) -> None:
    rows = []
    cards = NhiCard.objects.filter(issued_on__gte=today - dt.timedelta(days=3650)).values_list(
        "person_id", "card_number", "issued_on"
    )
    for person_id, number, issued_on in cards.order_by("person_id", "issued_on"):
        if rng.random() >= LETTER_SHARE:
            continue
        sent = issued_on + dt.timedelta(days=rng.randint(3, 10))
        if sent > today:
            continue
        rows.append(
            Letter(
                person_id=person_id,
                kind=Letter.Kind.CARD_MAILED,
                subject="全民健康保險憑證（健保卡）寄發通知",
                body=(
                    f"您申請的健保卡（卡號末四碼 {number[-4:]}）已於 {sent.year - 1911}年{sent.month}月{sent.day}日"
                    "以掛號寄出，請留意收件。收到新卡後，舊卡即不能使用。\n\n衛生福利部中央健康保險署"
                ),
                sent_on=sent,
            )
        )
        if rng.random() < 0.2:
            month = today.replace(day=1) - dt.timedelta(days=rng.randint(60, 900))
            sent = month.replace(day=1) + dt.timedelta(days=rng.randint(62, 75))
            rows.append(
                Letter(
                    person_id=person_id,
                    kind=Letter.Kind.PREMIUM_ARREARS,
                    subject="全民健康保險保險費欠費催繳通知",
                    body=(
                        f"您 {month.year - 1911}年{month.month}月 之健保費逾繳納期限尚未繳納，請於收到本通知後儘速"
                        "持繳款單至便利商店、金融機構繳納；已繳納者請勿理會本通知。\n\n衛生福利部中央健康保險署"
                    ),
                    sent_on=min(sent, today),
                )
            )
    Letter.objects.bulk_create(rows, batch_size=2000)


def add_records(seed: int, today: dt.date) -> None:
    """Earlier enrolment periods, mailing addresses and letters for a share of the loaded population."""
    rng = random.Random(f"records-{seed}")
    _earlier_periods(rng, today)
    _addresses(rng, today)
    _letters(rng, today)


def showcase_records(people: list, today: dt.date) -> None:
    """The demo logins' people each have an address history and letters to look at (once: kept when run again),
    and each insured one an earlier period at another unit, withdrawn before the present one."""
    rng = random.Random("records-showcase")
    zone = timezone.get_current_timezone()
    units = list(InsuranceUnit.objects.filter(kind=InsuranceUnit.Kind.EMPLOYER).order_by("code")[:20])
    for person in people:
        if MailingAddress.objects.filter(person=person).exists():
            continue
        moved = today - dt.timedelta(days=rng.randint(200, 700))
        for n, (since, until) in enumerate(((moved - dt.timedelta(days=900), moved), (moved, None))):
            county, township, village, postal = _place(rng)
            MailingAddress.objects.create(
                person=person,
                county=county,
                township=township,
                village=village,
                postal_code=postal,
                street=_street(rng),
                valid_from=dt.datetime.combine(since, dt.time(10 + n, 15), zone),
                valid_until=dt.datetime.combine(until, dt.time(10 + n, 15), zone) if until else None,
            )
        card = NhiCard.objects.filter(person=person).order_by("-issued_on").first()
        if card is not None and card.issued_on < today:
            sent = min(today, card.issued_on + dt.timedelta(days=5))
            Letter.objects.create(
                person=person,
                kind=Letter.Kind.CARD_MAILED,
                subject="全民健康保險憑證（健保卡）寄發通知",
                body=(
                    f"您的健保卡（卡號末四碼 {card.card_number[-4:]}）已以掛號寄出，請留意收件。"
                    "\n\n衛生福利部中央健康保險署"
                ),
                sent_on=sent,
            )
        month = (today.replace(day=1) - dt.timedelta(days=200)).replace(day=1)
        Letter.objects.create(
            person=person,
            kind=Letter.Kind.PREMIUM_ARREARS,
            subject="全民健康保險保險費欠費催繳通知",
            body=(
                f"您 {month.year - 1911}年{month.month}月 之健保費逾繳納期限尚未繳納，請儘速繳納；已繳納者請勿理會"
                "本通知。\n\n衛生福利部中央健康保險署"
            ),
            sent_on=month + dt.timedelta(days=70),
        )
        current = Enrolment.objects.filter(person=person, role="insured", ended_on__isnull=True).first()
        earliest = Enrolment.objects.filter(person=person).order_by("started_on").first()
        born = person.birth_date
        first_job = born.replace(year=born.year + 22, month=1, day=1)
        if current is None or not units or earliest.started_on - first_job < dt.timedelta(days=900):
            continue
        ended = earliest.started_on - dt.timedelta(days=rng.randint(60, 200))
        Enrolment.objects.create(
            person=person,
            household=current.household,
            unit=next((u for u in units if u.pk != current.unit_id), units[0]),
            category=1,
            role="insured",
            relationship="self",
            insured_salary=max(26400, round(current.insured_salary * 0.7 / 100) * 100),
            started_on=max(first_job, ended - dt.timedelta(days=rng.randint(700, 2000))),
            ended_on=ended,
        )
