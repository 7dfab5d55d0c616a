"""The demo's own data files (``healthbank/demo/data``, sources in its SOURCES.md).

Only the generator reads them; the code catalogues every app shares are in ``healthbank/core/data``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def _json(name: str):
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


@cache
def names() -> dict:
    return _json("names.json")


@cache
def institution_patterns() -> dict:
    return _json("institutions_patterns.json")
