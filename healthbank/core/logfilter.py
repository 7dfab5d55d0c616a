"""A logging filter that masks anything shaped like a national ID before it is written.

It masks the message, and also the exception text and stack that a formatter
would append (an exception message often repeats the value that failed), so a
traceback cannot carry a full ID into a log file.
"""

from __future__ import annotations

import logging

from .masking import mask_ids_in_text

_formatter = logging.Formatter()


class MaskNationalIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_ids_in_text(message)
        if masked != message:
            record.msg = masked
            record.args = ()
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set: format the traceback once, masked.
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_ids_in_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_ids_in_text(record.stack_info)
        return True


class OutageAnsweredElsewhere(logging.Filter):
    """Drops Django's "Internal Server Error" line for a dependency outage: it was answered 503, not 500.

    An outage raised inside a middleware becomes Django's 500, which Django logs at
    once; ``DependencyOutageMiddleware`` then answers 503 and writes the failure's
    one line (``… answered 503: …``). Put on the ``django.request`` logger only.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        from .outage import is_dependency_outage

        exc = record.exc_info[1] if record.exc_info else None
        return exc is None or not is_dependency_outage(exc)
