"""The NHI card maker (健保卡製卡): a replacement card is made once its request is approved (SPEC §10).

The adapter is named in ``EXTERNAL_ADAPTERS["card_maker"]``. HealthBank hands it what the card carries — the
number, the holder's name, national ID, date of birth and sex, the issue date — and the chip's private key, after
the approval is committed; a real maker personalises the chip and mails the card. The simulator "mails" it by
writing the card file the card agent reads (``cardagent --card <SIMULATED_CARDS_DIR>/<number>.json``), the same
kind of file the demo writes for everyone's first card, so the person logs in with the new card as with a real one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings

from cardagent.sources import write_card_file


class SimulatedCardMaker:
    """Writes each card it is asked to make to ``SIMULATED_CARDS_DIR/<card number>.json``."""

    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir)

    def make(
        self,
        *,
        card_number: str,
        name: str,
        national_id: str,
        birth_date: dt.date,
        sex: str,
        issue_date: dt.date,
        private_key: bytes,
    ) -> Path:
        path = Path(settings.SIMULATED_CARDS_DIR) / f"{card_number}.json"
        write_card_file(
            path, card_number=card_number, name=name, national_id=national_id, birth_date=birth_date, sex=sex,
            issue_date=issue_date, private_key=private_key,
        )  # fmt: skip
        return path
