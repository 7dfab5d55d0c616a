"""A logging filter that masks anything shaped like a national ID before it is written."""

from __future__ import annotations

import logging

from .masking import mask_ids_in_text


class MaskNationalIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_ids_in_text(message)
        if masked != message:
            record.msg = masked
            record.args = ()
        return True
