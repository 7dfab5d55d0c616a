"""gunicorn's own logs (the access line of every request, its error log) pass the national-ID mask too.

gunicorn writes them with its own loggers, outside Django's ``LOGGING``: a query
string or a ``Referer`` holding a national ID (``/login/?national_id=A123456789``,
an operator page's ``_changelist_filters``) went to the access log in full.
``gunicorn.conf.py`` at the project's root, which gunicorn reads from the
directory it starts in, names this class.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from .logfilter import MaskNationalIdFilter


class MaskingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)  # called again when the log files are reopened: the new handlers get the filter too
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.addFilter(MaskNationalIdFilter())
