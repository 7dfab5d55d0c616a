"""註冊密碼 — the registration password rules (SPEC §3), pure: no Django models.

Strength as the live meter shows it: weak / medium / medium-strong / strong by
how many of upper case, lower case, digits and symbols a password mixes; strong
also needs at least ``policy.PASSWORD_STRONG_MIN_LENGTH`` characters. The same
rules run in the browser (static/healthbank/password-meter.js).
"""

from __future__ import annotations

import datetime as dt
import gzip
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import django.contrib.auth
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.core.rocdate import format_roc_compact

STRENGTHS = ("weak", "medium", "medium-strong", "strong")
SYMBOLS = frozenset(string.punctuation)


@dataclass(frozen=True)
class PasswordProblem:
    code: str
    message: str


def character_classes(password: str) -> int:
    return sum(
        (
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(c in SYMBOLS for c in password),
        )
    )


def strength(password: str) -> str:
    classes = character_classes(password)
    if classes == 4 and len(password) >= policy.PASSWORD_STRONG_MIN_LENGTH:
        return "strong"
    return STRENGTHS[max(0, min(classes, 3) - 1)]


@cache
def common_passwords() -> frozenset[str]:
    """Django's own list of 20,000 common passwords (shipped with django.contrib.auth)."""
    path = Path(django.contrib.auth.__file__).parent / "common-passwords.txt.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def problems(password: str, *, national_id: str = "", birth_date: dt.date | None = None) -> list[PasswordProblem]:
    """Every reason this password may not be used; empty when it is acceptable."""
    found: list[PasswordProblem] = []
    if not policy.PASSWORD_MIN_LENGTH <= len(password) <= policy.PASSWORD_MAX_LENGTH:
        found.append(
            PasswordProblem(
                "length",
                _("The password must be %(low)s–%(high)s characters long.")
                % {"low": policy.PASSWORD_MIN_LENGTH, "high": policy.PASSWORD_MAX_LENGTH},
            )
        )
    if any(c.isspace() or not c.isprintable() or ord(c) > 126 for c in password):
        found.append(PasswordProblem("characters", _("Use letters, digits and symbols on the keyboard, no spaces.")))
    lowered = password.lower()
    if lowered in common_passwords():
        found.append(PasswordProblem("common", _("This password is too common; choose one that is harder to guess.")))
    if national_id and (national_id.lower() in lowered or national_id[1:].lower() in lowered):
        found.append(PasswordProblem("national_id", _("The password may not contain your national ID.")))
    if birth_date is not None:
        forms = {birth_date.strftime("%Y%m%d"), birth_date.strftime("%m%d%Y"), format_roc_compact(birth_date)}
        if any(f in password for f in forms):
            found.append(PasswordProblem("birth_date", _("The password may not contain your birth date.")))
    return found
