"""How requests are logged: a refused request (4xx) is one line, a server error keeps its
traceback."""

from __future__ import annotations

import logging


class ClientErrorsOnOneLine(logging.Filter):
    """Django logs a 403 or 404 with the exception that made it, traceback and all; that is the
    client's doing, not a fault to debug: keep the line ("Forbidden (Permission denied): /…"),
    drop the traceback. A 5xx keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
