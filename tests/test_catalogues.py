"""The translation catalogues are complete: every string the code can show has a Chinese translation.

Fails when a Traditional Chinese entry is empty or fuzzy, when an English entry with a Chinese msgid has no
English text, when a compiled .mo file says something other than its .po file, or when ``makemessages``
finds a string in the code that is not yet in the catalogues. Needs GNU gettext (xgettext) for the last.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "healthbank" / "locale"
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass
class Entry:
    msgid: str
    msgstr: list[str]
    flags: set[str]
    context: str = ""
    plural: bool = False


def _string(line: str) -> str:
    return ast.literal_eval(line[line.index('"') :])


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file (obsolete ``#~`` entries and the header left out)."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if not line.startswith("#~")]
        flags: set[str] = set()
        fields: dict[str, list[str]] = {}
        current = None
        for line in lines:
            if line.startswith("#,"):
                flags |= {f.strip() for f in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"') and current:
                fields[current].append(_string(line))
            else:
                current = line.split(" ", 1)[0]
                fields[current] = [_string(line)]
        if "msgid" not in fields or not "".join(fields["msgid"]):
            continue
        strings = ["".join(v) for k, v in fields.items() if k.startswith("msgstr")]
        context = "".join(fields.get("msgctxt", []))
        entries.append(Entry("".join(fields["msgid"]), strings, flags, context, "msgid_plural" in fields))
    return entries


DOMAINS = ["django", "djangojs"]  # the pages and the app (issue 13: healthbank/static/healthbank/app)


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_chinese_entry_is_translated_and_none_is_fuzzy(domain):
    entries = read_po(LOCALE / "zh_Hant" / "LC_MESSAGES" / f"{domain}.po")
    assert len(entries) > 50
    untranslated = [e.msgid for e in entries if not all(s.strip() for s in e.msgstr)]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert untranslated == [], "untranslated in zh_Hant"
    assert fuzzy == [], "fuzzy in zh_Hant (check the translation, then remove the mark)"


@pytest.mark.parametrize("domain", DOMAINS)
def test_english_entries_need_text_only_where_the_msgid_is_not_english(domain):
    entries = read_po(LOCALE / "en" / "LC_MESSAGES" / f"{domain}.po")
    missing = [e.msgid for e in entries if CJK.search(e.msgid) and not all(s.strip() for s in e.msgstr)]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert missing == [] and fuzzy == []


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", ["zh_Hant", "en"])
def test_the_compiled_catalogue_matches_its_source(language, domain):
    folder = LOCALE / language / "LC_MESSAGES"
    with (folder / f"{domain}.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in read_po(folder / f"{domain}.po"):
        if "fuzzy" in entry.flags or not entry.msgstr[0] or len(entry.msgstr) > 1:
            continue
        key = f"{entry.context}\x04{entry.msgid}" if entry.context else entry.msgid
        if entry.plural:
            key = (key, 0)  # plural forms are compiled by (msgid, form)
        if compiled._catalog.get(key) != entry.msgstr[0]:
            stale.append(entry.msgid)
    assert stale == [], f"run msgfmt for {language}: the .mo file is older than the .po file"


def test_makemessages_finds_no_string_missing_from_the_catalogues(tmp_path):
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext is needed for this check (apt-get install gettext)")
    copy = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "locale", "data", "static", "*.mo")
    shutil.copytree(ROOT / "healthbank", copy / "healthbank", ignore=ignore)
    shutil.copytree(ROOT / "cardagent", copy / "cardagent", ignore=ignore)
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "healthbank.settings.test", "PYTHONPATH": str(copy)}
    command = [sys.executable, "manage.py", "makemessages", "-l", "zh_Hant", "--add-location", "file", "--no-obsolete"]
    subprocess.run(command, cwd=copy, env=env, check=True, capture_output=True)  # noqa: S603
    found = {e.msgid for e in read_po(copy / "healthbank" / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po")}
    catalogued = {e.msgid for e in read_po(LOCALE / "zh_Hant" / "LC_MESSAGES" / "django.po")}
    assert sorted(found - catalogued) == [], "run makemessages and translate the new strings"


def test_makemessages_finds_no_app_string_missing_from_the_catalogues(tmp_path):
    """The app's scripts (djangojs): every string in ``gettext``/``_`` is in the catalogue."""
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext is needed for this check (apt-get install gettext)")
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "healthbank", copy / "healthbank", ignore=shutil.ignore_patterns("static", "locale", "data"))
    shutil.copytree(ROOT / "healthbank" / "static" / "healthbank" / "app", copy / "healthbank" / "static" / "app")
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    (copy / "healthbank" / "locale").mkdir()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "healthbank.settings.test", "PYTHONPATH": str(copy)}
    command = [sys.executable, "manage.py", "makemessages", "-d", "djangojs", "-l", "zh_Hant", "--no-obsolete"]
    subprocess.run(command, cwd=copy, env=env, check=True, capture_output=True)  # noqa: S603
    found = {e.msgid for e in read_po(copy / "healthbank" / "locale" / "zh_Hant" / "LC_MESSAGES" / "djangojs.po")}
    catalogued = {e.msgid for e in read_po(LOCALE / "zh_Hant" / "LC_MESSAGES" / "djangojs.po")}
    assert len(found) > 50
    assert sorted(found - catalogued) == [], "run makemessages -d djangojs and translate the new strings"
