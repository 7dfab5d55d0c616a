"""The certificates' pure rules (SPEC §10; no Django): verification codes, insured periods, passport names,
each person's share of a premium bill. Numbers from policy.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from healthbank import policy

# Crockford's reading of look-alikes: a code typed from paper with O for 0 or I / L for 1 still checks.
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_PASSPORT_NAME = re.compile(r"[A-Za-z][A-Za-z ,'\-]*")


def new_code() -> str:
    """A fresh verification code: ``CERTIFICATE_CODE_LENGTH`` random characters (80 bits), never guessed."""
    alphabet = policy.CERTIFICATE_CODE_ALPHABET
    return "".join(secrets.choice(alphabet) for _ in range(policy.CERTIFICATE_CODE_LENGTH))


def normalise_code(text: str) -> str:
    """What a person typed or a QR carried, as stored: capitals, look-alikes read, dashes and spaces dropped.

    Anything else than the code's alphabet makes it an empty string (refused like an unknown code), and so does
    text longer than 64 characters (not cut short: a genuine code with anything after it is not that code).
    """
    if len(text or "") > 64:
        return ""
    cleaned = "".join(c for c in (text or "").upper() if c not in " -\t").translate(_LOOK_ALIKES)
    if len(cleaned) != policy.CERTIFICATE_CODE_LENGTH or any(
        c not in policy.CERTIFICATE_CODE_ALPHABET for c in cleaned
    ):
        return ""
    return cleaned


def grouped(code: str) -> str:
    """``ABCD-EFGH-JKMN-PQRS``: how the certificate prints the code, to read out or type."""
    size = policy.CERTIFICATE_CODE_GROUP
    return "-".join(code[i : i + size] for i in range(0, len(code), size))


def passport_name(text: str) -> str:
    """The name as in the passport, tidied (spaces collapsed, capitals); ``ValueError`` with the reason else."""
    name = " ".join((text or "").split())
    name = re.sub(r"\s*,\s*", ", ", name)
    if not name:
        raise ValueError("empty")
    if len(name) > policy.CERTIFICATE_PASSPORT_NAME_MAX_LENGTH:
        raise ValueError("long")
    if not _PASSPORT_NAME.fullmatch(name) or not re.search(r"[A-Za-z]$", name):
        raise ValueError("letters")
    return name.upper()


@dataclass(frozen=True)
class Period:
    """One enrolment as the certificate prints it: cut to the chosen period."""

    starts_on: dt.date
    ends_on: dt.date
    still_insured: bool  # the enrolment goes on after the period's end (the certificate says "to date")
    source: object = None  # the enrolment, for the caller's labels


def insured_within(enrolments, date_from: dt.date, date_to: dt.date) -> list[Period]:
    """The parts of ``enrolments`` (``started_on``, ``ended_on`` None while insured) within [from, to], in order.

    Empty when the person was not insured on any day of the period.
    """
    periods = []
    for enrolment in enrolments:
        ends = enrolment.ended_on
        if enrolment.started_on > date_to or (ends is not None and ends < date_from):
            continue
        periods.append(
            Period(
                starts_on=max(enrolment.started_on, date_from),
                ends_on=min(ends, date_to) if ends is not None else date_to,
                still_insured=ends is None or ends > date_to,
                source=enrolment,
            )
        )
    return sorted(periods, key=lambda p: (p.starts_on, p.ends_on))


def shares(amount: int, people: int) -> list[int]:
    """A bill of ``amount`` for ``people`` billed, split evenly: the insured (first) takes the odd dollars.

    The premium is the insured's share per person times the people billed (``rules.monthly_premium``), so an
    even split gives each person what was billed for them; a rounding remainder stays with the insured.
    """
    people = max(people, 1)
    each = amount // people
    return [amount - each * (people - 1)] + [each] * (people - 1)
